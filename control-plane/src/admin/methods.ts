/**
 * Kong answers a known path asked with a method it does not serve with
 * `405 {"message":"Method not allowed"}` (unknown paths get 404), and `OPTIONS` on a known path
 * with 204 and the methods it serves (kong/api/api_helpers.lua options_method): `Allow` and
 * `Access-Control-Allow-Methods` list them sorted, HEAD with GET and OPTIONS itself included;
 * `Access-Control-Allow-Headers` repeats the request's `Access-Control-Request-Headers`, else
 * `Content-Type`. Fastify only knows 404, so we record each path's methods as routes are added
 * and fill in the rest at the end. Which origin may read the answer is CORS's concern (cors.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';

const METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface MethodRegistry {
  /** Adds the 405 (and OPTIONS) routes; call once, after every other route. */
  complete(): void;
}

/** Kong's options_method answer for a path serving `allow` (already sorted, joined). */
function optionsAnswer(allow: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const requested = request.headers['access-control-request-headers'];
    return reply
      .code(204)
      .header('allow', allow)
      .header('access-control-allow-methods', allow)
      .header('access-control-allow-headers', typeof requested === 'string' ? requested : 'Content-Type')
      .send();
  };
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
      for (const [url, routed] of [...byPath]) {
        // A copy: the routes added below are recorded too.
        const served = new Set(routed);
        const missing: HTTPMethods[] = METHODS.filter((m) => !served.has(m));
        // Fastify serves HEAD wherever GET is; elsewhere HEAD is as unknown as any other method.
        if (!served.has('GET')) missing.push('HEAD');
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
          const allowed = METHODS.filter((m) => served.has(m));
          if (served.has('GET')) allowed.push('HEAD');
          const allow = [...allowed, 'OPTIONS'].sort().join(', ');
          app.route({ method: 'OPTIONS', url, ...hidden, handler: optionsAnswer(allow) });
        }
      }
    },
  };
}
