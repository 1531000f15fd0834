/**
 * proxy-cache's Admin endpoints (Kong 3.10 kong/plugins/proxy-cache/api.lua), served when the
 * node runs proxy-cache:
 *
 * - `DELETE /proxy-cache` — flushes the store of every proxy-cache plugin: 204;
 * - `GET /proxy-cache/{key}` — the first proxy-cache plugin's entry under `key`: 200 (Kong's cached
 *   object: status, headers, body, body_len, timestamp, ttl, version, req_body), else 404;
 * - `DELETE /proxy-cache/{key}` — purges it: 204, else 404;
 * - `GET|DELETE /proxy-cache/{plugin_id}/caches/{key}` — the same in one plugin's store: 404 when
 *   the plugin or the entry does not exist.
 *
 * The entries live in this node's proxy workers (`nodePlugins`, a traditional node): each call
 * goes to every worker, a purge purges everywhere, a read answers with the first worker's entry.
 * A hybrid control plane has no proxy workers, so, as Kong's control plane (whose memory
 * strategy is its own node's shared dict, and whose purge broadcast reaches no data plane), it
 * answers from an empty cache: flushes are 204, reads and purges of a key 404. Data planes have
 * no Admin API; their entries end with their TTL. Kong's 404s here carry no body; so do these.
 */
import type { NodePluginAdmin } from '@turnpike/shared/plugins';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AdminContext } from '../context.ts';
import { allRows } from '../lookup.ts';

const PLUGIN = 'proxy-cache';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function dictionaryOf(plugin: object): string {
  const config = (plugin as { config?: unknown }).config as
    | { memory?: { dictionary_name?: unknown } }
    | undefined;
  const name = config?.memory?.dictionary_name;
  return typeof name === 'string' ? name : 'kong_db_cache';
}

async function proxyCachePlugins(ctx: AdminContext): Promise<{ id: string; config?: unknown }[]> {
  const rows = await allRows(ctx, 'plugins');
  return rows.filter((row) => row.name === PLUGIN) as { id: string; config?: unknown }[];
}

function empty(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).send();
}

export function registerProxyCacheRoutes(
  app: FastifyInstance,
  ctx: AdminContext,
  nodePlugins: NodePluginAdmin | undefined,
): void {
  const call = async (op: Record<string, unknown>): Promise<unknown[]> =>
    nodePlugins === undefined ? [] : nodePlugins.call(PLUGIN, op);
  const fetch = async (dictionary: string, key: string) =>
    (await call({ op: 'fetch', dictionary, key })).find((entry) => entry != null);
  const purge = async (dictionary: string, key: string) =>
    (await call({ op: 'purge', dictionary, key })).some((had) => had === true);
  const tags = ['proxy-cache'];

  app.delete(
    '/proxy-cache',
    { schema: { tags, summary: 'Purge every proxy-cache entry' } },
    async (_r, reply) => {
      const dictionaries = [...new Set((await proxyCachePlugins(ctx)).map(dictionaryOf))];
      if (dictionaries.length > 0) await call({ op: 'flush', dictionaries });
      return empty(reply, 204);
    },
  );

  app.get<{ Params: { key: string } }>(
    '/proxy-cache/:key',
    { schema: { tags, summary: 'A cached entry' } },
    async (request, reply) => {
      for (const plugin of await proxyCachePlugins(ctx)) {
        const entry = await fetch(dictionaryOf(plugin), request.params.key);
        if (entry !== undefined) return reply.code(200).send(entry);
      }
      return empty(reply, 404);
    },
  );

  app.delete<{ Params: { key: string } }>(
    '/proxy-cache/:key',
    { schema: { tags, summary: 'Purge one cached entry' } },
    async (request, reply) => {
      for (const plugin of await proxyCachePlugins(ctx)) {
        if (await purge(dictionaryOf(plugin), request.params.key)) return empty(reply, 204);
      }
      return empty(reply, 404);
    },
  );

  const onePlugin = async (id: string) =>
    UUID.test(id) ? await ctx.dao.entity('plugins').get(id) : undefined;

  app.get<{ Params: { plugin: string; key: string } }>(
    '/proxy-cache/:plugin/caches/:key',
    { schema: { tags, summary: "A cached entry of one plugin's store" } },
    async (request, reply) => {
      const plugin = await onePlugin(request.params.plugin);
      if (plugin === undefined) return empty(reply, 404);
      const entry = await fetch(dictionaryOf(plugin), request.params.key);
      return entry === undefined ? empty(reply, 404) : reply.code(200).send(entry);
    },
  );

  app.delete<{ Params: { plugin: string; key: string } }>(
    '/proxy-cache/:plugin/caches/:key',
    { schema: { tags, summary: "Purge a cached entry of one plugin's store" } },
    async (request, reply) => {
      const plugin = await onePlugin(request.params.plugin);
      if (plugin === undefined) return empty(reply, 404);
      return empty(reply, (await purge(dictionaryOf(plugin), request.params.key)) ? 204 : 404);
    },
  );
}
