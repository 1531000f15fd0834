/**
 * The balancer side of the node's upstream health endpoints (`BalancerAdminOp`): a worker answers
 * from its balancers. `set-health` is Kong's post_health (kong/runloop/balancer/init.lua):
 * every address a target resolved to (or the one address given) is marked healthy or unhealthy by
 * hand, as the health checker would; checks that run afterwards move it again, as Kong's do.
 */
import type { BalancerAdminOp, UpstreamHealthReport, WorkerTargetHealth } from '@turnpike/shared';
import { type HasUpstreams, upstreamBalancerHealth, upstreamHealth } from './health-report.ts';
import type { UpstreamBalancer } from './upstream-balancer.ts';

/** Every upstream's report: what a data plane tells its control plane (HealthReport). */
export function healthReport(runtime: HasUpstreams): UpstreamHealthReport[] {
  const reports: UpstreamHealthReport[] = [];
  for (const [id, balancer] of runtime.upstreams) {
    reports.push({
      upstream: id,
      balancer: upstreamBalancerHealth(runtime, id)?.data,
      targets: targetsOf(balancer),
    });
  }
  return reports;
}

function targetsOf(balancer: UpstreamBalancer): WorkerTargetHealth[] {
  return upstreamHealth(balancer).data.map((t) => ({
    id: t.id,
    target: t.target,
    health: t.health,
    data: t.data,
  }));
}

/** What the worker answers: a report, `true` for a health set, or undefined for an unknown upstream. */
export function runBalancerAdmin(runtime: HasUpstreams, op: BalancerAdminOp): unknown {
  if (op.op === 'report') return healthReport(runtime);
  const balancer = runtime.upstreams.get(op.upstream);
  if (balancer === undefined) return undefined;
  switch (op.op) {
    case 'health':
      return targetsOf(balancer);
    case 'balancer-health':
      return upstreamBalancerHealth(runtime, op.upstream)?.data;
    case 'set-health': {
      const problem = balancer.setHealth(op.host, op.port, op.address, op.healthy);
      if (problem !== undefined) throw new Error(problem);
      return true;
    }
  }
}
