/**
 * How a node's Admin API reaches the balancers (Kong's `/upstreams/{u}/health` and
 * `…/targets/{t}[/{address}]/healthy|unhealthy`): on a traditional node, the data plane's worker
 * pool implements it (each worker answers from its own balancers) and `bin/` hands it to the
 * control plane. A hybrid control plane has no balancers of its own (Kong's has none, and no
 * health at all); ours answers from the health its data planes report over the sync stream and
 * sends them the healthy/unhealthy marks (control-plane/src/sync/cluster-balancers.ts), each
 * reply naming the data plane it came from.
 */

/** One worker's `/upstreams/{u}/health` report (the balancer's Kong-shaped body), per target id. */
export interface WorkerTargetHealth {
  readonly id: string;
  readonly target: string;
  readonly health: string;
  readonly data: unknown;
}

/** One upstream in a worker's whole health report (`{ op: 'report' }`), what a data plane sends its control plane. */
export interface UpstreamHealthReport {
  readonly upstream: string;
  /** Kong's `?balancer_health=1` data: `{ id, health, details? }`. */
  readonly balancer: unknown;
  readonly targets: readonly WorkerTargetHealth[];
}

export type BalancerAdminOp =
  | { readonly op: 'health'; readonly upstream: string }
  /** Every upstream's health at once (UpstreamHealthReport[]): the data plane's report to its control plane. */
  | { readonly op: 'report' }
  | { readonly op: 'balancer-health'; readonly upstream: string }
  | {
      readonly op: 'set-health';
      readonly upstream: string;
      readonly host: string;
      readonly port: number;
      /** One address of the target (an IP and port), or every address it resolved to. */
      readonly address?: { readonly ip: string; readonly port: number };
      readonly healthy: boolean;
    };

/** The data plane a reply came from (hybrid mode). */
export interface BalancerReplySource {
  readonly id: string;
  readonly hostname: string;
}

export interface BalancerAnswer {
  readonly replies: readonly unknown[];
  readonly error?: string;
  /** Hybrid: who sent each reply, in the same order; absent on a traditional node (its workers). */
  readonly sources?: readonly BalancerReplySource[];
}

export interface NodeBalancers {
  /**
   * Runs `op` in every proxy worker (or every connected data plane): one answer per worker that
   * has the upstream (`undefined` entries left out), or the first error message (a target it
   * does not know).
   */
  call(op: BalancerAdminOp): Promise<BalancerAnswer>;
}
