/**
 * How a node's Admin API reaches its proxy workers' balancers (Kong's `/upstreams/{u}/health` and
 * `…/targets/{t}[/{address}]/healthy|unhealthy`): the data plane's worker pool implements it (each
 * worker answers from its own balancers), `bin/` hands it to the control plane of a traditional
 * node. A hybrid control plane has no balancers, as Kong's has none.
 */

/** One worker's `/upstreams/{u}/health` report (the balancer's Kong-shaped body), per target id. */
export interface WorkerTargetHealth {
  readonly id: string;
  readonly target: string;
  readonly health: string;
  readonly data: unknown;
}

export type BalancerAdminOp =
  | { readonly op: 'health'; readonly upstream: string }
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

export interface NodeBalancers {
  /**
   * Runs `op` in every proxy worker: one answer per worker that has the upstream (`undefined`
   * entries left out), or the first worker's error message (a target it does not know).
   */
  call(op: BalancerAdminOp): Promise<{ readonly replies: readonly unknown[]; readonly error?: string }>;
}
