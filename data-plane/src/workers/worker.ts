/**
 * A proxy worker: it runs the proxy listeners (their sockets shared through node:cluster) and
 * the configuration they serve, and does what the main process says — start with a
 * configuration, apply another (whole or as a delta), stop or drain. It never opens the sync
 * stream: the main process holds the one stream and the cache file.
 *
 * `ProxyWorker` is the worker itself, reached through a `send` function; `runWorker` is the
 * process around it (IPC, signals, exit).
 */

import cluster from 'node:cluster';
import {
  installMemCacheBytes,
  installNodeCounters,
  installNodeDatastore,
  type PluginHandler,
} from '@turnpike/plugin-sdk';
import {
  cancelHeapSettle,
  createLogger,
  Lifecycle,
  type Logger,
  requestHeapSettle,
  type StopMode,
  toError,
  WorkerError,
} from '@turnpike/shared';
import type { VersionedConfig } from '@turnpike/shared/sync';
import {
  BalancerRegistry,
  connectLookup,
  DEFAULT_DNS_SETTINGS,
  runBalancerAdmin,
  systemResolver,
} from '../balancer/index.ts';
import { ConfigApplier } from '../config/index.ts';
import { combineObservers, KongProxyMetrics, prometheusConfigOf } from '../observability/index.ts';
import { loadPluginRuntime } from '../plugin-chain/index.ts';
import { sniCallback, startProxy } from '../proxy/index.ts';
import type { Runtime } from '../runtime/index.ts';
import { runStreamLog, startStreamProxy } from '../stream/index.ts';
import { UpstreamPools } from '../upstream/index.ts';
import { openWorkerLogs, type WorkerLogs } from './logs.ts';
import { IpcNodeDatastore } from './node-datastore.ts';
import {
  isPrimaryMessage,
  NO_CONFIG_VERSION,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerSettings,
} from './protocol.ts';
import { IpcNodeCounters } from './shared-counters.ts';

export type SendToPrimary = (message: WorkerMessage) => void;

type ApplyMessage = Extract<PrimaryMessage, { type: 'apply' }>;
type DeltaMessage = Extract<PrimaryMessage, { type: 'apply-delta' }>;

/** A delta this large is applied like a whole configuration as far as its garbage goes. */
const BULK_DELTA_CHANGES = 1_000;

/** A burst of health flips (a probe round marking many peers) is one message to the main process. */
const HEALTH_CHANGED_COALESCE_MS = 50;

/** `fn` at most once per `ms`, `ms` after the first call of a burst. */
function coalesced(ms: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  return () => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
    timer.unref();
  };
}

function versionOf(runtime: Runtime): number {
  return typeof runtime.version === 'number' ? runtime.version : Number(runtime.version);
}

export class ProxyWorker {
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  /** The worker's configuration: its Runtime, what it was built from, the apply path. */
  readonly config: ConfigApplier;
  readonly #send: SendToPrimary;
  readonly #handlers: ReadonlyMap<string, PluginHandler> | undefined;
  readonly #logs: WorkerLogs;
  readonly #metrics: KongProxyMetrics;

  private constructor(
    log: Logger,
    lifecycle: Lifecycle,
    config: ConfigApplier,
    send: SendToPrimary,
    logs: WorkerLogs,
    metrics: KongProxyMetrics,
    handlers?: ReadonlyMap<string, PluginHandler>,
  ) {
    this.log = log;
    this.lifecycle = lifecycle;
    this.config = config;
    this.#send = send;
    this.#handlers = handlers;
    this.#logs = logs;
    this.#metrics = metrics;
  }

  /** Sends this worker's metrics to the main process, which aggregates every worker's. */
  sendMetrics(seq: number): void {
    this.#metrics.registry.getMetricsAsJSON().then(
      (metrics) => this.#send({ type: 'metrics', seq, metrics }),
      (error: unknown) => {
        this.log.error({ err: toError(error) }, 'metrics collection failed');
        this.#send({ type: 'metrics', seq, metrics: [] });
      },
    );
  }

  /** Reopens the access and error log files (logrotate moved them). */
  reopenLogs(): void {
    this.#logs.reopen();
  }

  /** Listens and applies `config`, then tells the main process it is ready (with its ports). */
  static async start(
    slot: number,
    settings: WorkerSettings,
    config: VersionedConfig | null,
    send: SendToPrimary,
  ): Promise<ProxyWorker> {
    const logs = openWorkerLogs(settings.logs);
    const log = createLogger({
      level: settings.logLevel,
      name: 'turnpike',
      ...(logs.error === undefined ? {} : { errorLog: logs.error }),
    }).child({ worker: slot });
    logs.reportTo(log);
    // mem_cache_size is the node's: each worker keeps its own stores, so each gets its share.
    installMemCacheBytes(Math.floor(settings.memCacheSize / Math.max(1, settings.workers)));
    const lifecycle = new Lifecycle(log);
    // First, so stopped last (components stop in reverse): the lines of requests that finish while
    // the proxy drains are still taken, and written out at the end.
    lifecycle.add(logs);
    // One resolver (the dns_* keys) for the balancers' targets and the services' own hosts.
    const resolve = systemResolver(settings.resolver);
    const lookup = connectLookup(resolve, { ...DEFAULT_DNS_SETTINGS, ...settings.dns });
    const pools = new UpstreamPools({ ...settings.pools, lookup }, log);
    lifecycle.add({ name: 'upstream pools', stop: () => pools.close() });
    const balancers = new BalancerRegistry({
      log,
      dns: settings.dns,
      resolve,
      onHealthChanged: coalesced(HEALTH_CHANGED_COALESCE_MS, () => send({ type: 'health-changed' })),
    });
    lifecycle.add(balancers);
    const plugins = await loadPluginRuntime(settings.plugins, log);
    // The env vault reads this process's environment (a forked worker inherits the node's).
    const applier = new ConfigApplier(
      {
        dispatchers: pools,
        balancers,
        plugins,
        environment: process.env,
        routerFlavor: settings.routerFlavor,
      },
      NO_CONFIG_VERSION,
    );
    applier.apply(config);
    const metrics = new KongProxyMetrics({ nodeId: settings.nodeId, runtime: applier.runtime });
    metrics.configure(prometheusConfigOf(applier.config?.config));
    const proxy = await startProxy({
      listen: settings.listen,
      reusePort: settings.reusePort === true,
      holder: applier.runtime,
      log,
      settings: settings.proxy,
      ...(settings.tls === undefined ? {} : { tls: settings.tls }),
      observer: combineObservers(logs.observer, metrics)!,
    });
    lifecycle.add(proxy);
    if (settings.streamListen.length > 0) {
      const streams = await startStreamProxy({
        listen: settings.streamListen,
        reusePort: settings.reusePort === true,
        trustedIps: settings.proxy.trustedIps,
        holder: applier.runtime,
        log,
        ...(settings.tls === undefined
          ? {}
          : { tls: { ...settings.tls, SNICallback: sniCallback(applier.runtime) } }),
        onClosed: (done) => {
          metrics.streamClosed({ ...done, route: done.route.route, service: done.route.service });
          runStreamLog(done);
          log.info(
            {
              route: done.route.route.id,
              service: done.route.service?.id,
              protocol: done.protocol,
              status: done.status,
              bytes_in: done.bytesIn,
              bytes_out: done.bytesOut,
              session_ms: done.sessionMs,
              forwarding: done.forwarding,
            },
            'stream session closed',
          );
        },
      });
      lifecycle.add(streams);
    }
    send({ type: 'ready', version: versionOf(applier.runtime.current), ports: proxy.ports });
    // Start-up's garbage is given back once this process is idle (shared/src/process/heap-settle.ts).
    requestHeapSettle({ log });
    lifecycle.signal.addEventListener('abort', cancelHeapSettle, { once: true });
    return new ProxyWorker(log, lifecycle, applier, send, logs, metrics, plugins.handlers);
  }

  /** Runs a plugin's nodeAdmin hook; always answers, a throw as `error`. */
  pluginAdmin(message: Extract<PrimaryMessage, { type: 'plugin-admin' }>): void {
    const { seq, plugin, op } = message;
    const hook = this.#handlers?.get(plugin)?.nodeAdmin;
    if (hook === undefined) {
      this.#send({ type: 'admin-reply', seq, error: `plugin '${plugin}' has no admin hook here` });
      return;
    }
    try {
      this.#send({ type: 'admin-reply', seq, reply: hook(op) });
    } catch (error) {
      this.#send({ type: 'admin-reply', seq, error: toError(error).message });
    }
  }

  /** Runs a balancer admin op on this worker's balancers; always answers, a refusal as `error`. */
  balancerAdmin(message: Extract<PrimaryMessage, { type: 'balancer-admin' }>): void {
    const { seq, op } = message;
    try {
      this.#send({ type: 'admin-reply', seq, reply: runBalancerAdmin(this.config.runtime.current, op) });
    } catch (error) {
      this.#send({ type: 'admin-reply', seq, error: toError(error).message });
    }
  }

  /** Applies a configuration message; a refusal is answered with apply-failed, never thrown. */
  handle(message: ApplyMessage | DeltaMessage): void {
    const { seq } = message;
    let runtime: Runtime;
    try {
      if (message.type === 'apply') runtime = this.config.apply(message.config);
      else {
        const applied = this.config.applyDelta(message);
        if ('stale' in applied) {
          this.#send({ type: 'apply-failed', seq, error: applied.stale, stale: true });
          return;
        }
        runtime = applied;
      }
    } catch (error) {
      this.#send({ type: 'apply-failed', seq, error: toError(error).message });
      return;
    }
    this.#metrics.configure(prometheusConfigOf(this.config.config?.config));
    this.#send({ type: 'applied', seq, version: versionOf(runtime), problems: runtime.problems });
    // A whole configuration's decode and compile (or a bulk delta's) leave garbage a small
    // delta's do not: given back once the process is idle.
    if (message.type === 'apply' || message.changes.length >= BULK_DELTA_CHANGES)
      requestHeapSettle({ log: this.log });
  }

  stop(mode: StopMode, deadline: number): Promise<void> {
    return this.lifecycle.stop(mode, Math.max(0, deadline - Date.now()));
  }
}

function send(message: WorkerMessage): void {
  // The channel closes when the main process goes; 'disconnect' then stops this worker.
  if (process.connected) process.send?.(message);
}

async function exit(worker: ProxyWorker | undefined, code: number): Promise<never> {
  worker?.log.flush();
  process.exit(code);
}

/**
 * The worker's main loop. The signals the node answers (SIGINT from a terminal reaches the whole
 * process group, SIGQUIT, SIGHUP, SIGUSR2) are the main process's to act on: a worker ignores them
 * and waits for its 'stop'. SIGTERM still ends a worker, which the main process then restarts.
 */
export function runWorker(): void {
  if (cluster.isPrimary) throw new WorkerError('runWorker runs in a worker forked by node:cluster');
  for (const signal of ['SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2'] as const) process.on(signal, () => {});

  let running: Promise<ProxyWorker> | undefined;
  let stopping = false;
  const stop = (mode: StopMode, deadline: number): void => {
    const wasStopping = stopping;
    stopping = true;
    if (running === undefined) {
      void exit(undefined, 0);
      return;
    }
    running.then(
      async (worker) => {
        // A second stop (now during a drain) cuts the drain short; the first one exits.
        const stopped = worker.stop(mode, deadline);
        if (wasStopping) return;
        await stopped;
        await exit(worker, 0);
      },
      () => exit(undefined, 1),
    );
  };

  // The node's counters, kept by the main process when the node runs several workers.
  let counters: IpcNodeCounters | undefined;
  // A traditional node's datastore, written through the main process.
  let datastore: IpcNodeDatastore | undefined;
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    handle(message);
  });
  // The main process is gone (killed, crashed): nobody will restart or stop us, so stop now.
  process.on('disconnect', () => {
    counters?.close('the main process is gone');
    datastore?.close('the main process is gone');
    stop('now', Date.now());
  });

  const handle = (message: PrimaryMessage): void => {
    switch (message.type) {
      case 'start':
        if (running !== undefined) return;
        if (message.settings.workers > 1) {
          counters = new IpcNodeCounters(send);
          installNodeCounters(counters);
        }
        if (message.settings.datastore === true) {
          datastore = new IpcNodeDatastore(send);
          installNodeDatastore(datastore);
        }
        running = ProxyWorker.start(message.slot, message.settings, message.config, send);
        running.catch((error: unknown) => {
          send({ type: 'start-failed', error: toError(error).message });
          void exit(undefined, 1);
        });
        return;
      case 'apply':
      case 'apply-delta':
        // Messages arrive in order and these are only sent after 'ready': `running` is settled.
        running?.then(
          (worker) => worker.handle(message),
          () => {},
        );
        return;
      case 'plugin-admin':
        running?.then(
          (worker) => worker.pluginAdmin(message),
          () => {},
        );
        return;
      case 'balancer-admin':
        running?.then(
          (worker) => worker.balancerAdmin(message),
          () => {},
        );
        return;
      case 'counters-taken':
        counters?.settle(message);
        return;
      case 'datastore-written':
        datastore?.settle(message);
        return;
      case 'stop':
        stop(message.mode, message.deadline);
        return;
      case 'metrics':
        running?.then(
          (worker) => worker.sendMetrics(message.seq),
          () => send({ type: 'metrics', seq: message.seq, metrics: [] }),
        );
        return;
      case 'reopen-logs':
        running?.then(
          (worker) => worker.reopenLogs(),
          () => {},
        );
        return;
    }
  };
}
