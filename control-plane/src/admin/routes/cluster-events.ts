/**
 * Turnpike additions for the Admin GUI's cluster view (Kong has neither):
 * `GET /clustering/events`, a server-sent event stream — `snapshot` first (the latest version
 * and every data plane), then `data-plane` (connect, ack, nack, refuse, disconnect, status,
 * seen) and `version` events as they happen — and `GET /clustering/timeline`, the recent config
 * versions with the entities each changed and how long each took to reach every data plane.
 * Both sit behind the admin token like every Admin API path. A browser's EventSource cannot
 * send the token header, so the GUI reads the stream with fetch.
 */
import type { FastifyInstance } from 'fastify';

/** What the routes need of the control plane's cluster feed. */
export interface ClusterEventsView {
  snapshot(): unknown;
  subscribe(listener: (event: { readonly type: string }) => void, end: () => void): () => void;
  timeline(size: number): Promise<unknown[]>;
}

/** A comment line every 15 s keeps proxies and idle timers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function registerClusterEventRoutes(app: FastifyInstance, feed: ClusterEventsView | undefined): void {
  const tags = ['clustering'];
  app.get(
    '/clustering/events',
    { schema: { tags, summary: 'Server-sent events: data planes connecting, acking, nacking, leaving' } },
    async (request, reply) => {
      if (feed === undefined) return reply.code(404).send({ message: 'Not found' });
      const headers: Record<string, string | number | string[]> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) headers[name] = value;
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      res.write(frame('snapshot', feed.snapshot()));
      let open = true;
      const close = () => {
        if (!open) return;
        open = false;
        clearInterval(keepalive);
        unsubscribe();
        res.end();
      };
      const unsubscribe = feed.subscribe((event) => {
        if (open) res.write(frame(event.type, event));
      }, close);
      const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
      keepalive.unref();
      request.raw.on('close', close);
      res.on('error', close);
    },
  );

  app.get<{ Querystring: { size?: string } }>(
    '/clustering/timeline',
    {
      schema: {
        tags,
        summary: 'The recent config versions: what each changed, how long each took to reach each data plane',
        querystring: {
          type: 'object',
          properties: { size: { type: 'string', description: 'Versions to list, 1 to 100 (default 20).' } },
        },
      },
    },
    async (request, reply) => {
      if (feed === undefined) return reply.code(404).send({ message: 'Not found' });
      const raw = request.query.size;
      const size = raw === undefined ? 20 : Number(raw);
      if (!Number.isInteger(size) || size < 1 || size > 100) {
        return reply.code(400).send({ message: 'size must be an integer between 1 and 100' });
      }
      return { data: await feed.timeline(size) };
    },
  );
}
