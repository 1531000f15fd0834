/**
 * Cross-origin access for the Admin GUI, which is served on another port (admin_gui_listen)
 * than the Admin API.
 *
 * Kong's cors_filter (kong/api/api_helpers.lua) adds `Access-Control-Allow-Origin` to every
 * answer: with admin_gui_url set, the request's origin when it is one of the GUI's and the
 * GUI's first origin otherwise (so browsers refuse any other page); without admin_gui_url,
 * whatever Origin came, or `*`, which lets any web page a Kong operator opens read their Admin
 * API. Here only the GUI's own origins (admin_gui_url's, else those of admin_gui_listen, see
 * control-plane/src/admin-gui/origins.ts) get `Access-Control-Allow-Origin` (and, as Kong,
 * `Access-Control-Allow-Credentials: true`): what Kong does with admin_gui_url set, with or
 * without it. Any other origin, and a request without one, gets no CORS header, so a browser
 * keeps other pages out.
 *
 * Preflights are Kong's OPTIONS answer (methods.ts: 204, Allow, Access-Control-Allow-Methods
 * and -Headers), for every origin and before the token check, since a browser sends them without
 * the token; only the GUI's origins get the Allow-Origin a browser needs to go on.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** `origins` is read at each request: the GUI's listeners may be bound after the Admin API is built. */
export function registerAdminCors(app: FastifyInstance, origins: () => readonly string[]): void {
  void app.register(cors, {
    // No CORS headers for the request unless the origin is the GUI's.
    origin: (origin, callback) =>
      callback(null, origin !== undefined && origins().includes(origin) ? origin : false),
    // methods.ts answers every preflight, as Kong's options_method does.
    preflight: false,
    credentials: true,
  });
}
