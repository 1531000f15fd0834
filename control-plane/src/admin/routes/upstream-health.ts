/**
 * Kong 3.10's upstream health endpoints (kong/api/routes/upstreams.lua, kong/db/dao/targets.lua):
 *
 * - `GET /upstreams/{u}/health` — the upstream's targets (a page, as `/upstreams/{u}/targets`),
 *   each with `health` (HEALTHY, UNHEALTHY, DNS_ERROR, HEALTHCHECKS_OFF) and `data` (the
 *   balancer's view: host, port, dns, nodeWeight, weight, addresses), and `node_id`;
 *   `?balancer_health=1` answers the balancer's own health instead (`data.health`, `data.details`).
 * - `GET /upstreams/{u}/targets/all` — every target of the upstream, paged.
 * - `PUT /upstreams/{u}/targets/{t}/healthy|unhealthy` and `…/{t}/{address}/healthy|unhealthy` —
 *   marks every address of the target (or one address, `ip[:port]`, port 8000 by default) healthy
 *   or unhealthy in this node's balancers: 204; 404 `Not found` for an unknown upstream or target;
 *   400 with the balancer's message (`target not found`) for an address it does not have. Kong
 *   3.10 takes PUT; POST (Kong 2.x's verb, still in many scripts) is taken too.
 *
 * The state is the node's proxy workers' (`nodeBalancers`, a traditional node): reads answer from
 * the first worker that has the upstream, sets go to every worker. A hybrid control plane has no
 * balancers: as Kong's, its `/health` lists the targets without health, and it has no
 * healthy/unhealthy endpoints.
 */
import type { NodeBalancers, WorkerTargetHealth } from '@turnpike/shared';
import { formatTarget } from '@turnpike/shared/schema';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { EntityRow } from '../../dao/types.ts';
import type { AdminContext } from '../context.ts';
import { allRows, findEntity, foreignId } from '../lookup.ts';
import { pageBody, parseListQuery, toListOptions } from '../pagination.ts';

const notFound = (reply: FastifyReply) => reply.code(404).send({ message: 'Not found' });
/** Kong's targets DAO default port. */
const DEFAULT_PORT = 8000;
const tags = ['upstreams'];

/** `host:port` / `[v6]:port` → host (brackets off) and port. */
function splitHostPort(text: string, defaultPort: number): { host: string; port: number } | undefined {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (match === null) {
    // A bare IPv6 address.
    return text.includes(':') ? { host: text, port: defaultPort } : undefined;
  }
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? { host: match[1]!, port } : undefined;
}

/** The upstream's target named `segment` (id or `host[:port]`), as Kong's select_by_upstream_filter. */
async function targetOf(
  ctx: AdminContext,
  upstream: EntityRow,
  segment: string,
): Promise<EntityRow | undefined> {
  const rows = await allRows(ctx, 'targets', { scope: { field: 'upstream', id: upstream.id } });
  let wanted: string | undefined;
  try {
    wanted = formatTarget(segment);
  } catch {
    wanted = undefined;
  }
  return rows.find((t) => t.id === segment || (wanted !== undefined && t.target === wanted));
}

export function registerUpstreamHealthRoutes(
  app: FastifyInstance,
  ctx: AdminContext,
  nodeId: string,
  balancers: NodeBalancers | undefined,
): void {
  const upstreamOf = (segment: string) => findEntity(ctx, 'upstreams', segment);

  app.get<{ Params: { parent: string }; Querystring: Record<string, unknown> }>(
    '/upstreams/:parent/health',
    { schema: { tags, summary: "The health of an upstream's targets, as this node's balancers see it" } },
    async (request, reply) => {
      const upstream = await upstreamOf(request.params.parent);
      if (upstream === undefined) return notFound(reply);
      if (String(request.query.balancer_health) === '1') {
        const answer =
          balancers === undefined
            ? undefined
            : await balancers.call({ op: 'balancer-health', upstream: upstream.id });
        const data = answer?.replies[0];
        return { ...(data === undefined ? {} : { data }), next: null, node_id: nodeId };
      }
      const query = parseListQuery(request.query);
      const page = await ctx.dao
        .entity('targets')
        .list(toListOptions(query, { scope: { field: 'upstream', id: upstream.id } }));
      const body = pageBody(
        page,
        `/upstreams/${encodeURIComponent(request.params.parent)}/health`,
        query,
        false,
      );
      const answer =
        balancers === undefined ? undefined : await balancers.call({ op: 'health', upstream: upstream.id });
      const report = answer?.replies[0] as readonly WorkerTargetHealth[] | undefined;
      if (report === undefined) return { ...body, node_id: nodeId };
      const byId = new Map(report.map((t) => [t.id, t]));
      const data = (body.data as EntityRow[]).map((target) => {
        const seen = byId.get(target.id);
        const addresses = (seen?.data as { addresses?: unknown[] } | undefined)?.addresses ?? [];
        // A target missing from the balancer, or without an address, failed its DNS resolution.
        if (seen === undefined || addresses.length === 0)
          return { ...target, health: 'DNS_ERROR', ...(seen === undefined ? {} : { data: seen.data }) };
        return { ...target, health: seen.health, data: seen.data };
      });
      return { ...body, data, node_id: nodeId };
    },
  );

  app.get<{ Params: { parent: string } }>(
    '/upstreams/:parent/targets/all',
    { schema: { tags, summary: 'Every target of an upstream' } },
    async (request, reply) => {
      const upstream = await upstreamOf(request.params.parent);
      if (upstream === undefined) return notFound(reply);
      const query = parseListQuery(request.query);
      const page = await ctx.dao
        .entity('targets')
        .list(toListOptions(query, { scope: { field: 'upstream', id: upstream.id } }));
      return pageBody(page, `/upstreams/${upstream.id}/targets/all`, query, false);
    },
  );

  // As Kong: a control plane has no balancers, so no healthy/unhealthy endpoints.
  if (balancers === undefined) return;
  const setHealth = async (
    params: { parent: string; id: string; address?: string },
    healthy: boolean,
    reply: FastifyReply,
  ) => {
    const upstream = await upstreamOf(params.parent);
    if (upstream === undefined) return notFound(reply);
    const target = await targetOf(ctx, upstream, params.id);
    if (target === undefined || foreignId(target, 'upstream') !== upstream.id) return notFound(reply);
    const hostPort = splitHostPort(String(target.target), DEFAULT_PORT);
    if (hostPort === undefined) return notFound(reply);
    let address: { ip: string; port: number } | undefined;
    if (params.address !== undefined) {
      const parsed = splitHostPort(params.address, DEFAULT_PORT);
      if (parsed === undefined)
        return reply.code(400).send({ message: `invalid address '${params.address}'` });
      address = { ip: parsed.host, port: parsed.port };
    }
    const answer = await balancers.call({
      op: 'set-health',
      upstream: upstream.id,
      host: hostPort.host,
      port: hostPort.port,
      ...(address === undefined ? {} : { address }),
      healthy,
    });
    if (answer.error !== undefined) return reply.code(400).send({ message: answer.error });
    if (answer.replies.length === 0)
      return reply.code(400).send({ message: `Upstream ${String(upstream.name)} has no balancer` });
    return reply.code(204).send();
  };
  for (const [suffix, healthy] of [
    ['healthy', true],
    ['unhealthy', false],
  ] as const) {
    const summary = `Mark a target (every address, or one) ${suffix} in this node's balancers`;
    for (const method of ['PUT', 'POST'] as const) {
      app.route<{ Params: { parent: string; id: string } }>({
        method,
        url: `/upstreams/:parent/targets/:id/${suffix}`,
        schema: { tags, summary },
        handler: (request, reply) => setHealth(request.params, healthy, reply),
      });
      app.route<{ Params: { parent: string; id: string; address: string } }>({
        method,
        url: `/upstreams/:parent/targets/:id/:address/${suffix}`,
        schema: { tags, summary },
        handler: (request, reply) => setHealth(request.params, healthy, reply),
      });
    }
  }
}
