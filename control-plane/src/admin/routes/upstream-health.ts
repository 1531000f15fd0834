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
 * On a traditional node the state is the node's proxy workers' (`nodeBalancers`): reads answer
 * from the first worker that has the upstream, sets go to every worker. Kong's control plane has
 * no health at all; ours answers from the health its connected data planes report over the sync
 * stream (control-plane/src/sync/cluster-balancers.ts): each target's `health` is the worst view
 * of them (HEALTHY only when every data plane can use it) and `data_planes` lists each one's, and
 * the healthy/unhealthy marks are sent to every connected data plane (204 once each answered;
 * 400 when none is connected, or with the first one's refusal).
 */
import type { BalancerAnswer, NodeBalancers, WorkerTargetHealth } from '@turnpike/shared';
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

/** A balancer's target health; one without an address failed its DNS resolution. */
function healthOf(seen: WorkerTargetHealth): string {
  const addresses = (seen.data as { addresses?: unknown[] } | undefined)?.addresses ?? [];
  return addresses.length === 0 ? 'DNS_ERROR' : seen.health;
}

/**
 * Several data planes' views as one (hybrid): a target is HEALTHY only when every data plane that
 * reports it can use it; else UNHEALTHY when one sees it unhealthy, else DNS_ERROR when one
 * could not resolve it; HEALTHCHECKS_OFF when every one says so.
 */
function worstHealth(values: readonly string[]): string {
  for (const worst of ['UNHEALTHY', 'DNS_ERROR', 'HEALTHY']) if (values.includes(worst)) return worst;
  return values[0] ?? 'HEALTHCHECKS_OFF';
}

/**
 * A hybrid control plane's target: Kong's fields (`health`, `data` from the first data plane),
 * and `data_planes`, each connected data plane's own view (its id, hostname, health and data).
 * A target no data plane balances yet (its version has not reached them) has no health.
 */
function clusterTargetHealth(target: EntityRow, answer: BalancerAnswer): EntityRow {
  const views: { id: string; hostname: string; health: string; data: unknown }[] = [];
  answer.replies.forEach((reply, i) => {
    const seen = (reply as readonly WorkerTargetHealth[]).find((t) => t.id === target.id);
    const source = answer.sources![i]!;
    if (seen !== undefined)
      views.push({ id: source.id, hostname: source.hostname, health: healthOf(seen), data: seen.data });
  });
  if (views.length === 0) return { ...target, data_planes: [] };
  return {
    ...target,
    health: worstHealth(views.map((v) => v.health)),
    data: views[0]!.data,
    data_planes: views,
  };
}

/** `?balancer_health=1` on a hybrid control plane: the worst of the data planes' balancers, and each one's. */
function clusterBalancerHealth(answer: BalancerAnswer): Record<string, unknown> {
  const views = answer.replies.map((reply, i) => {
    const source = answer.sources![i]!;
    const data = (reply ?? {}) as { id?: string; health?: string; details?: unknown };
    return {
      id: source.id,
      hostname: source.hostname,
      health: data.health ?? 'HEALTHCHECKS_OFF',
      ...(data.details === undefined ? {} : { details: data.details }),
    };
  });
  const first = answer.replies[0] as { id?: string; details?: unknown } | undefined;
  if (first === undefined) return {};
  return {
    data: {
      id: first.id,
      health: worstHealth(views.map((v) => v.health)),
      ...(first.details === undefined ? {} : { details: first.details }),
      data_planes: views,
    },
  };
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
        if (answer?.sources !== undefined)
          return { ...clusterBalancerHealth(answer), next: null, node_id: nodeId };
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
      const targets = body.data as EntityRow[];
      if (answer?.sources !== undefined) {
        // No data plane reports the upstream (none connected, or none has its version yet): the
        // targets without health, as Kong's control plane lists them.
        if (answer.replies.length === 0) return { ...body, node_id: nodeId };
        return { ...body, data: targets.map((t) => clusterTargetHealth(t, answer)), node_id: nodeId };
      }
      const report = answer?.replies[0] as readonly WorkerTargetHealth[] | undefined;
      if (report === undefined) return { ...body, node_id: nodeId };
      const byId = new Map(report.map((t) => [t.id, t]));
      const data = targets.map((target) => {
        const seen = byId.get(target.id);
        // A target missing from the balancer failed its DNS resolution.
        if (seen === undefined) return { ...target, health: 'DNS_ERROR' };
        return { ...target, health: healthOf(seen), data: seen.data };
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

  // A node without balancers (DB-less control of nothing) has no healthy/unhealthy endpoints.
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
