/**
 * Cross-origin access for the Admin GUI, which is served on another port (admin_gui_listen)
 * than the Admin API. Narrower than Kong: Kong's cors_filter reflects any Origin when
 * admin_gui_url is unset; here only the GUI's own origins (admin_gui_url's, else those of
 * admin_gui_listen, see control-plane/src/admin-gui/origins.ts) get CORS headers. Any other
 * origin, and any request without an Origin, is served exactly as before. Preflights are
 * answered before the token check, since a browser sends them without the token header.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** `origins` is read at each request: the GUI's listeners may be bound after the Admin API is built. */
export function registerAdminCors(app: FastifyInstance, origins: () => readonly string[]): void {
  void app.register(cors, {
    // Disables CORS for the request (no headers, no preflight handling) unless the origin is the GUI's.
    origin: (origin, callback) =>
      callback(null, origin !== undefined && origins().includes(origin) ? origin : false),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Kong-Admin-Token', 'Authorization'],
    maxAge: 600,
    credentials: false,
  });
}
