/**
 * Kong answers a known path asked with a method it does not serve with
 * `405 {"message":"Method not allowed"}` (unknown paths get 404). Fastify only knows 404, so
 * we record each path's methods as routes are added and fill in the rest at the end.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';

const METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface MethodRegistry {
  /** Adds the 405 (and OPTIONS) routes; call once, after every other route. */
  complete(): void;
}

/** Starts recording routes; must be called before any route is added. */
export function trackMethods(app: FastifyInstance): MethodRegistry {
  const byPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const set = byPath.get(route.url) ?? new Set<string>();
    for (const m of methods) set.add(m);
    byPath.set(route.url, set);
  });
  return {
    complete() {
      for (const [url, served] of [...byPath]) {
        const allowed = METHODS.filter((m) => served.has(m));
        const missing = METHODS.filter((m) => !served.has(m));
        const hidden = { schema: { hide: true } };
        if (missing.length > 0) {
          app.route({
            method: missing,
            url,
            ...hidden,
            handler: async (_request, reply) => reply.code(405).send({ message: 'Method not allowed' }),
          });
        }
        if (!served.has('OPTIONS')) {
          const allow = ['OPTIONS', ...allowed].join(', ');
          app.route({
            method: 'OPTIONS',
            url,
            ...hidden,
            handler: async (_request, reply) =>
              reply.code(204).header('allow', allow).header('access-control-allow-methods', allow).send(),
          });
        }
      }
    },
  };
}
