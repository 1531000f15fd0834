/**
 * The balancers of a hybrid cluster, as a control plane knows them: the health each connected
 * data plane reports over its sync stream (HealthReport), and the healthy/unhealthy marks the
 * Admin API sends them (SetTargetHealth, answered by CommandResult). It implements the node's
 * `NodeBalancers`, so that the upstream health endpoints serve a control plane as they serve a
 * traditional node, each reply naming the data plane it came from. Kong's control plane has no
 * health at all; this closes that gap.
 *
 * A data plane's report is forgotten when its stream closes: the health of a data plane that is
 * not connected is unknown.
 */
import type { CommandResult, ControlPlaneMessage, HealthReport, SetTargetHealth } from '@turnpike/proto';
import type {
  BalancerAdminOp,
  BalancerAnswer,
  BalancerReplySource,
  Logger,
  NodeBalancers,
  UpstreamHealthReport,
  WorkerTargetHealth,
} from '@turnpike/shared';

/** How long the Admin API waits for every data plane to answer a mark. */
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/** A data plane the control plane can send a command to (its sync session). */
export interface CommandTarget {
  readonly nodeId: string | undefined;
  readonly hostname: string;
  /** Whether the stream is open and serving (identified, not refused, not closed). */
  readonly serving: boolean;
  send(message: ControlPlaneMessage): void;
}

interface Pending {
  readonly resolve: (result: CommandResult | undefined) => void;
}

export class ClusterBalancers implements NodeBalancers {
  /** The last report of each connected data plane, by node id, then by upstream id. */
  readonly #reports = new Map<string, ReadonlyMap<string, UpstreamHealthReport>>();
  readonly #pending = new Map<string, Pending>();
  readonly #targets: () => Iterable<CommandTarget>;
  readonly #log: Logger;
  readonly #timeoutMs: number;
  #requestId = 0;

  /** `targets` lists the data planes connected now (the sync server's sessions). */
  constructor(targets: () => Iterable<CommandTarget>, log: Logger, timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS) {
    this.#targets = targets;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
  }

  /** A data plane's HealthReport: replaces the one before. Malformed JSON leaves that part out. */
  reported(nodeId: string, report: HealthReport): void {
    const upstreams = new Map<string, UpstreamHealthReport>();
    for (const upstream of report.upstreams) {
      const targets: WorkerTargetHealth[] = upstream.targets.map((t) => ({
        id: t.targetId,
        target: t.target,
        health: t.health,
        data: parseJson(t.data),
      }));
      upstreams.set(upstream.upstreamId, {
        upstream: upstream.upstreamId,
        balancer: parseJson(upstream.balancer),
        targets,
      });
    }
    this.#reports.set(nodeId, upstreams);
  }

  /** A data plane's CommandResult. */
  answered(nodeId: string, result: CommandResult): void {
    const key = `${nodeId}/${result.requestId}`;
    const pending = this.#pending.get(key);
    if (pending === undefined) {
      this.#log.debug({ node_id: nodeId, request_id: result.requestId }, 'a command result nobody waits for');
      return;
    }
    this.#pending.delete(key);
    pending.resolve(result);
  }

  /** The data plane's stream closed: its health is unknown now, and its answers will not come. */
  forget(nodeId: string): void {
    this.#reports.delete(nodeId);
    for (const [key, pending] of this.#pending) {
      if (key.startsWith(`${nodeId}/`)) {
        this.#pending.delete(key);
        pending.resolve(undefined);
      }
    }
  }

  async call(op: BalancerAdminOp): Promise<BalancerAnswer> {
    if (op.op === 'set-health') return this.#setHealth(op);
    const replies: unknown[] = [];
    const sources: BalancerReplySource[] = [];
    for (const target of this.#serving()) {
      const report = this.#reports.get(target.nodeId);
      if (report === undefined) continue;
      let reply: unknown;
      if (op.op === 'report') reply = [...report.values()];
      else {
        const upstream = report.get(op.upstream);
        if (upstream === undefined) continue;
        reply = op.op === 'health' ? upstream.targets : upstream.balancer;
      }
      replies.push(reply);
      sources.push({ id: target.nodeId, hostname: target.hostname });
    }
    return { replies, sources };
  }

  async #setHealth(op: Extract<BalancerAdminOp, { op: 'set-health' }>): Promise<BalancerAnswer> {
    const targets = [...this.#serving()];
    if (targets.length === 0) {
      return { replies: [], error: 'no data plane is connected to this control plane', sources: [] };
    }
    const results = await Promise.all(
      targets.map(async (target) => ({ target, result: await this.#command(target, op) })),
    );
    const replies: unknown[] = [];
    const sources: BalancerReplySource[] = [];
    let error: string | undefined;
    for (const { target, result } of results) {
      if (result === undefined) {
        this.#log.warn(
          { node_id: target.nodeId, upstream: op.upstream },
          'a data plane did not answer a target mark',
        );
        continue;
      }
      if (result.error !== '') error ??= result.error;
      else if (result.found) {
        replies.push(true);
        sources.push({ id: target.nodeId, hostname: target.hostname });
      }
    }
    return error === undefined ? { replies, sources } : { replies, error, sources };
  }

  #command(
    target: CommandTarget & { nodeId: string },
    op: Extract<BalancerAdminOp, { op: 'set-health' }>,
  ): Promise<CommandResult | undefined> {
    const requestId = ++this.#requestId;
    const command: SetTargetHealth = {
      requestId,
      upstreamId: op.upstream,
      host: op.host,
      port: op.port,
      addressIp: op.address?.ip ?? '',
      addressPort: op.address?.port ?? 0,
      healthy: op.healthy,
    };
    const key = `${target.nodeId}/${requestId}`;
    const { promise, resolve } = Promise.withResolvers<CommandResult | undefined>();
    const timer = setTimeout(() => {
      this.#pending.delete(key);
      resolve(undefined);
    }, this.#timeoutMs);
    timer.unref();
    this.#pending.set(key, {
      resolve: (result) => {
        clearTimeout(timer);
        resolve(result);
      },
    });
    target.send({ kind: { $case: 'setTargetHealth', value: command } });
    return promise;
  }

  *#serving(): Iterable<CommandTarget & { nodeId: string }> {
    for (const target of this.#targets()) {
      if (target.serving && target.nodeId !== undefined) yield target as CommandTarget & { nodeId: string };
    }
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
