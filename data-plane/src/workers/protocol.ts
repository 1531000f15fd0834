/**
 * The messages between the main process and its proxy workers, sent over the cluster IPC channel
 * with `serialization: 'advanced'` (structured clone): a config's Maps travel as Maps, no JSON.
 */

import type { BalancerAdminOp } from '@turnpike/shared';
import type { toPinoLevel } from '@turnpike/shared/config';
import type { ConfigChange, VersionedConfig } from '@turnpike/shared/sync';
import type { ResolverSettings } from '../balancer/index.ts';
import type { ProxyListenEntry, ProxySettings } from '../proxy/index.ts';
import type { RouterFlavor, RouterProblem } from '../router/index.ts';
import type { StreamListenEntry } from '../stream/index.ts';

/** Everything a worker needs to serve, decided once by the main process (so workers agree). */
export interface WorkerSettings {
  readonly logLevel: ReturnType<typeof toPinoLevel>;
  readonly listen: readonly ProxyListenEntry[];
  /**
   * Listen with SO_REUSEPORT: set for in-process workers (./in-process-spawn.ts) and every worker
   * of a sized pool (./sized-spawn.ts), so that a reload's replacement binds the ports its
   * predecessor still serves.
   */
  readonly reusePort?: boolean;
  /** stream_listen: TCP / TLS listeners for stream routes (none when off). */
  readonly streamListen: readonly StreamListenEntry[];
  readonly proxy: ProxySettings;
  /** The ssl listeners' default certificate, made or read once in the main process. */
  readonly tls: { readonly cert: TlsMaterial; readonly key: TlsMaterial } | undefined;
  readonly pools: {
    readonly keepalivePoolSize: number;
    readonly keepaliveMaxRequests: number;
    readonly keepaliveIdleTimeout: number;
  };
  /** `plugins` and `plugin_paths`: each worker loads the same handlers. */
  readonly plugins: { readonly enabled: readonly string[]; readonly pluginPaths: readonly string[] };
  /** `dns_stale_ttl`, `dns_error_ttl` and `dns_not_found_ttl`, for every upstream name. */
  readonly dns: { readonly staleTtl: number; readonly errorTtl: number; readonly notFoundTtl: number };
  /** The other dns_* keys, the hosts file and resolv.conf, read once by the main process. */
  readonly resolver: ResolverSettings;
  /** kong.conf `router_flavor` (the configuration refuses `expressions`). */
  readonly routerFlavor: RouterFlavor;
  /**
   * How many proxy workers the node runs: with more than one, plugins' node-wide counters
   * (rate-limiting's `local` policy) are kept by the main process (./shared-counters.ts).
   */
  readonly workers: number;
  /** kong.conf `mem_cache_size` in bytes: each worker's in-memory plugin stores get it ÷ `workers`. */
  readonly memCacheSize: number;
  /** This node's id: the `node_id` label of Kong's metrics. */
  readonly nodeId: string;
  /**
   * A traditional node with a database: plugins may write through the main process
   * (`datastore-write`, the SDK's `nodeDatastore()`). Unset on a data plane, as Kong's cannot write.
   */
  readonly datastore?: boolean;
  /** The worker's log files: each worker opens its own (append mode), as nginx's workers do. */
  readonly logs: WorkerLogSettings;
}

export interface WorkerLogSettings {
  readonly prefix: string;
  /** proxy_access_log's value (a path, /dev/stdout, /dev/stderr, off). */
  readonly accessLog: string;
  readonly accessLogFormat: 'kong' | 'json';
  /** proxy_error_log's value. */
  readonly errorLog: string;
}

type TlsMaterial = string | Buffer | (string | Buffer)[];

/** The version a worker runs when no configuration has arrived yet (an empty Runtime). */
export const NO_CONFIG_VERSION = 0;

export type PrimaryMessage =
  | {
      readonly type: 'start';
      /** The worker's slot, 1..worker_processes; a restarted worker keeps its slot. */
      readonly slot: number;
      readonly settings: WorkerSettings;
      /** The configuration every worker runs now; null before the first one. */
      readonly config: VersionedConfig | null;
    }
  /** Compile and swap in `config` (null: the empty configuration); answered by applied / apply-failed. */
  | { readonly type: 'apply'; readonly seq: number; readonly config: VersionedConfig | null }
  /**
   * Apply `changes` to the configuration the worker holds, which must be `fromVersion`, check the
   * result hashes to `hash`, recompile what they touch and swap; answered by applied /
   * apply-failed (`stale` when the worker does not hold `fromVersion`: send it the whole config).
   */
  | {
      readonly type: 'apply-delta';
      readonly seq: number;
      readonly fromVersion: number;
      readonly version: number;
      readonly hash: string;
      readonly changes: readonly ConfigChange[];
    }
  /** Stop (`now`) or drain, then exit; `deadline` is an epoch time in ms. */
  | { readonly type: 'stop'; readonly mode: 'now' | 'drain'; readonly deadline: number }
  /** Run `op` through the `plugin` handler's nodeAdmin hook; answered by plugin-admin-reply. */
  | { readonly type: 'plugin-admin'; readonly seq: number; readonly plugin: string; readonly op: unknown }
  /** Run `op` on the worker's balancers (the Admin API's upstream health); answered by admin-reply. */
  | { readonly type: 'balancer-admin'; readonly seq: number; readonly op: BalancerAdminOp }
  /** The node's counters' answer to a `counters-take` batch: per take its slots' counts and refused slot. */
  | {
      readonly type: 'counters-taken';
      readonly seq: number;
      readonly sizes: Uint8Array;
      readonly counts: Float64Array;
      readonly refused: Int8Array;
    }
  /** The answer to a `datastore-write`: the writer's reply, or its refusal. */
  | {
      readonly type: 'datastore-written';
      readonly seq: number;
      readonly reply?: unknown;
      readonly error?: string;
      readonly code?: string;
    }
  /** Reopen the log files (SIGUSR1, reload: logrotate moved them). */
  | { readonly type: 'reopen-logs' }
  /** Send this worker's metrics (the status listener is scraped). */
  | { readonly type: 'metrics'; readonly seq: number };

export type WorkerMessage =
  | { readonly type: 'ready'; readonly version: number; readonly ports: readonly number[] }
  | { readonly type: 'start-failed'; readonly error: string }
  /** prom-client's `getMetricsAsJSON()` of the worker's registry. */
  | { readonly type: 'metrics'; readonly seq: number; readonly metrics: readonly unknown[] }
  | {
      readonly type: 'applied';
      readonly seq: number;
      readonly version: number;
      readonly problems: readonly RouterProblem[];
    }
  | {
      readonly type: 'apply-failed';
      readonly seq: number;
      readonly error: string;
      /** Set when a delta did not build on what the worker holds: nothing was compiled. */
      readonly stale?: boolean;
    }
  | {
      /** The answer to a plugin-admin or balancer-admin message. */
      readonly type: 'admin-reply';
      readonly seq: number;
      readonly reply?: unknown;
      /** The hook threw, or the plugin has none here. */
      readonly error?: string;
    }
  /**
   * A peer's health flipped or a target's DNS answer changed in this worker's balancers
   * (coalesced: at most one per HEALTH_CHANGED_COALESCE_MS); the data plane reports its health.
   */
  | { readonly type: 'health-changed' }
  /** A plugin's write for the node's datastore (the SDK's nodeDatastore()), answered by datastore-written. */
  | { readonly type: 'datastore-write'; readonly seq: number; readonly plugin: string; readonly op: unknown }
  /** Takes from the node's counters, one event-loop turn's worth: `sizes[i]` slots of 3 numbers each. */
  | {
      readonly type: 'counters-take';
      readonly seq: number;
      readonly keys: readonly string[];
      readonly sizes: Uint8Array;
      readonly windows: Float64Array;
    };

/** Tells a worker message from anything else on the IPC channel (cluster's own messages included). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return (
    type === 'ready' ||
    type === 'start-failed' ||
    type === 'applied' ||
    type === 'apply-failed' ||
    type === 'admin-reply' ||
    type === 'health-changed' ||
    type === 'counters-take' ||
    type === 'datastore-write' ||
    type === 'metrics'
  );
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return (
    type === 'start' ||
    type === 'apply' ||
    type === 'apply-delta' ||
    type === 'stop' ||
    type === 'plugin-admin' ||
    type === 'balancer-admin' ||
    type === 'counters-taken' ||
    type === 'datastore-written' ||
    type === 'reopen-logs' ||
    type === 'metrics'
  );
}
