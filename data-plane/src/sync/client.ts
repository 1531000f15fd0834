import type { ControlPlaneMessage } from '@turnpike/proto';
import type {
  BalancerAdminOp,
  BalancerAnswer,
  Logger,
  PluginSetIncompatibleError,
  UpstreamHealthReport,
} from '@turnpike/shared';
import type { ClusterChannelOptions } from '@turnpike/shared/cluster';
import { type ConfigDelta, DEFAULT_MAX_PAYLOAD, type VersionedConfig } from '@turnpike/shared/sync';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.ts';
import { ConfigStore } from './config-store.ts';
import { HealthReporter } from './health-reporter.ts';
import { type InProcessConnect, inProcessDial } from './in-process-dial.ts';
import { checkPluginSet } from './plugin-set.ts';
import { tcpProbe } from './probe.ts';
import { type SessionStep, SyncSession } from './session.ts';
import { type Dial, type SyncStream, SyncTransport } from './transport.ts';

/** Where the control plane is: over gRPC + mTLS, or (a traditional node) in this process. */
export type ControlPlaneLink =
  | {
      /** `cluster_control_plane`: host:port. */
      address: string;
      tls: ClusterChannelOptions;
    }
  | { inProcess: InProcessConnect };

export type SyncClientOptions = ControlPlaneLink & SyncClientSettings;

export interface SyncClientSettings {
  nodeId: string;
  hostname: string;
  turnpikeVersion: string;
  plugins: { name: string; version: string }[];
  /** `cluster_dp_labels`, as `key:value`. */
  labels?: string[];
  /** Where the last applied config is kept; loaded at start, written after the Ack. */
  cacheFile: string;
  /**
   * `declarative_config` on a data plane: what it serves when it has no cache file, until the
   * control plane sends its own (which replaces it, as any snapshot does). Not written to the
   * cache: a restart without a cache and without a control plane serves the file again.
   */
  fallback?: { readonly config: VersionedConfig; readonly origin: string };
  /** The shortest time between two cache file writes (a burst of versions is written once); default 1 s. */
  cacheWriteIntervalMs?: number;
  log: Logger;
  /**
   * Validates, compiles and swaps in a config; a throw is sent to the control plane as a Nack.
   * `delta` is set when `next` was built from the config last applied by a Delta: what changed,
   * so that the work can be proportional to the change.
   */
  apply: (next: VersionedConfig, delta?: ConfigDelta) => void | Promise<void>;
  /** `maxMs` is `cluster_max_reconnect_delay`. */
  backoff?: Partial<BackoffOptions>;
  heartbeatIntervalMs?: number;
  /** `cluster_max_payload`. */
  maxPayload?: number;
  /** Whether the control plane's address answers TCP; default a real probe (see reconnect.ts). */
  probe?: () => Promise<boolean>;
  /** Observes what the client does: for readiness, metrics and tests. */
  onEvent?: (event: SyncClientEvent) => void;
  /**
   * The proxy workers' balancers, on a data plane of a hybrid cluster: their health is reported to
   * the control plane (HealthReport) and its SetTargetHealth commands run on them.
   */
  balancers?: SyncBalancers;
}

/** What the sync client reads of (and does to) the data plane's balancers. */
export interface SyncBalancers {
  /** Every upstream's health, as the workers see it. */
  report(): Promise<readonly UpstreamHealthReport[]>;
  /** Runs a healthy/unhealthy mark in every worker. */
  setHealth(op: Extract<BalancerAdminOp, { op: 'set-health' }>): Promise<BalancerAnswer>;
  /** Calls `listener` when the health may have changed; returns the unsubscribe function. */
  onChanged(listener: () => void): () => void;
}

export type SyncClientEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; error: string }
  | { type: 'cache-loaded'; version: number; hash: string }
  | { type: 'received'; kind: 'snapshot' | 'delta'; version: number; fromVersion?: number }
  | { type: 'applied'; kind: 'snapshot' | 'delta' | 'cache' | 'declarative'; version: number; hash: string }
  | { type: 'cache-written'; version: number }
  | { type: 'rejected'; kind: 'snapshot' | 'delta'; version: number; error: string; code: string }
  | { type: 'refused'; syncStatus: string; message: string };

/** For readiness: serving needs a config; connected says whether updates can arrive. */
export interface SyncClientState {
  hasConfig: boolean;
  version: number;
  hash: string;
  connected: boolean;
  /**
   * Set while the control plane's configuration uses plugins this data plane lacks: it keeps
   * serving the config it holds, but cannot follow the control plane (not ready).
   */
  incompatible: { readonly missing: readonly string[]; readonly message: string } | undefined;
}

export interface SyncClient {
  state(): SyncClientState;
  /**
   * The plugins after a reload: configurations are checked against them at once; the control
   * plane hears them in the next Hello (the stream's next connection).
   */
  setPlugins(plugins: readonly { name: string; version: string }[]): void;
  stop(): Promise<void>;
}

/**
 * A data plane's side of the sync protocol, wired from three parts: the config store (what is
 * held, decode, verify, cache file), the session (what each message means, Ack/Nack) and the
 * transport (the stream — gRPC or in-process —, heartbeats, reconnection). This function only moves messages between
 * them and the `apply` step, one message at a time and in order.
 */
export async function startSyncClient(options: SyncClientOptions): Promise<SyncClient> {
  const { log } = options;
  const emit = options.onEvent ?? (() => {});
  const store = new ConfigStore({
    cacheFile: options.cacheFile,
    maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    log,
    ...(options.cacheWriteIntervalMs === undefined
      ? {}
      : { cacheWriteIntervalMs: options.cacheWriteIntervalMs }),
    onCacheWritten: (version) => emit({ type: 'cache-written', version }),
  });
  const installed = new Set(options.plugins.map((p) => p.name));
  let incompatible: PluginSetIncompatibleError | undefined;
  /** Refuses a config using a plugin this data plane lacks; clears the state once one does not. */
  const checkPlugins = (next: VersionedConfig, delta: ConfigDelta | undefined) => {
    try {
      checkPluginSet(next, delta, installed);
      incompatible = undefined;
    } catch (error) {
      const err = error as PluginSetIncompatibleError;
      if (incompatible?.message !== err.message) {
        log.error(
          { missing: err.missing, version: next.version },
          'data plane lacks plugins the configuration uses: not ready',
        );
      }
      incompatible = err;
      throw err;
    }
  };

  await serveTheCache(store, options, emit, checkPlugins);

  const session = new SyncSession(
    {
      nodeId: options.nodeId,
      hostname: options.hostname,
      turnpikeVersion: options.turnpikeVersion,
      plugins: options.plugins,
      labels: options.labels ?? [],
    },
    store,
  );

  /** Swaps in a verified config and answers with Ack — or Nack when apply throws. */
  const apply = async (step: Extract<SessionStep, { type: 'apply' }>, stream: SyncStream) => {
    const { next, kind } = step;
    try {
      checkPlugins(next, step.delta);
      await (step.delta === undefined ? options.apply(next) : options.apply(next, step.delta));
    } catch (error) {
      const rejected = session.reject(step, error);
      log.error(
        { version: next.version, kind, error: rejected.error.text, code: rejected.error.code },
        'configuration rejected; keeping the old one',
      );
      emit({
        type: 'rejected',
        kind,
        version: next.version,
        error: rejected.error.text,
        code: rejected.error.code,
      });
      stream.send(rejected.message);
      return;
    }
    store.commit(next);
    const ack = session.acknowledge(step, performance.now());
    const applyMs = ack.kind?.$case === 'ack' ? ack.kind.value.applyMs : 0;
    log.info({ version: next.version, kind, apply_ms: applyMs }, 'configuration applied');
    emit({ type: 'applied', kind, version: next.version, hash: next.hash });
    stream.send(ack);
    // The upstreams or targets may have changed.
    reporter?.changed();
  };

  /** The Admin API's healthy/unhealthy mark, run on the workers' balancers and answered. */
  const setTargetHealth = async (
    command: Extract<SessionStep, { type: 'set-target-health' }>['command'],
    stream: SyncStream,
  ) => {
    const balancers = options.balancers;
    let outcome: { error?: string; found: boolean };
    if (balancers === undefined) outcome = { found: false };
    else {
      try {
        const answer = await balancers.setHealth({
          op: 'set-health',
          upstream: command.upstreamId,
          host: command.host,
          port: command.port,
          ...(command.addressIp === ''
            ? {}
            : { address: { ip: command.addressIp, port: command.addressPort } }),
          healthy: command.healthy,
        });
        outcome =
          answer.error === undefined
            ? { found: answer.replies.length > 0 }
            : { error: answer.error, found: true };
      } catch (error) {
        outcome = { error: (error as Error).message, found: true };
      }
    }
    log.info(
      {
        upstream: command.upstreamId,
        target: `${command.host}:${command.port}`,
        healthy: command.healthy,
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
      },
      'control plane marked a target',
    );
    // The report first: the control plane answers its Admin API call once the result is in, and a
    // read right after it must see the mark.
    await reporter?.flush();
    stream.send(session.commandResult(command.requestId, outcome));
  };

  const handle = async (message: ControlPlaneMessage, stream: SyncStream) => {
    if (stream.ended) return;
    const step = session.receive(message, performance.now());
    switch (step.type) {
      case 'apply':
        return apply(step, stream);
      case 'nack':
        emit({
          type: 'rejected',
          kind: step.kind,
          version: step.version,
          error: step.error.text,
          code: step.error.code,
        });
        stream.send(step.message);
        if (step.resync) stream.restart();
        return;
      case 'set-target-health':
        // Not behind configuration messages: a mark must not wait for a long apply.
        void setTargetHealth(step.command, stream);
        return;
      case 'refused':
        stream.markRefused();
        log.error({ sync_status: step.syncStatus }, `control plane refused this data plane: ${step.message}`);
        emit({ type: 'refused', syncStatus: step.syncStatus, message: step.message });
        return;
      case 'none':
        return;
    }
  };

  // One message at a time, in order, whichever stream it came on: apply may be async.
  let queue = Promise.resolve();
  let reporter: HealthReporter | undefined;
  const { dial, probe } = await dialFor(options);
  const transport = new SyncTransport(
    {
      dial,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      log,
      probe: options.probe ?? probe,
    },
    {
      opening: () => session.hello(),
      heartbeat: () => session.heartbeat(Date.now()),
      connected: () => {
        reporter?.streamOpened();
        emit({ type: 'connected' });
      },
      closed: (error) => emit({ type: 'disconnected', error }),
      message: (message, stream) => {
        const kind = message.kind;
        if (kind?.$case === 'snapshot')
          emit({ type: 'received', kind: 'snapshot', version: kind.value.version });
        if (kind?.$case === 'delta') {
          emit({
            type: 'received',
            kind: 'delta',
            version: kind.value.version,
            fromVersion: kind.value.fromVersion,
          });
        }
        queue = queue
          .then(() => handle(message, stream))
          .catch((error: unknown) => log.error({ err: error }, 'sync message handling failed'));
      },
    },
  );
  const balancers = options.balancers;
  let unsubscribeHealth: (() => void) | undefined;
  if (balancers !== undefined) {
    const healthReporter = new HealthReporter({
      collect: () => balancers.report(),
      send: (message) => transport.send(message),
      log,
    });
    reporter = healthReporter;
    unsubscribeHealth = balancers.onChanged(() => healthReporter.changed());
  }
  transport.start();

  return {
    setPlugins(plugins) {
      installed.clear();
      for (const plugin of plugins) installed.add(plugin.name);
      options.plugins.splice(0, options.plugins.length, ...plugins);
    },
    state: () => ({
      hasConfig: store.held !== undefined,
      version: store.held?.version ?? 0,
      hash: store.held?.hash ?? '',
      connected: transport.connected,
      incompatible:
        incompatible === undefined
          ? undefined
          : { missing: incompatible.missing, message: incompatible.message },
    }),
    async stop() {
      unsubscribeHealth?.();
      reporter?.stop();
      await transport.stop();
      // A stopped data plane restarts from the version it served last.
      await store.flush();
    },
  };
}

/**
 * The channel to the control plane. grpc-js, the proto runtime and the certificate code are
 * imported only for a gRPC link: a traditional node, in-process, loads none of them. In-process
 * the control plane is always there: the reconnect backoff is not cut short by any probe.
 */
async function dialFor(options: SyncClientOptions): Promise<{ dial: Dial; probe: () => Promise<boolean> }> {
  if ('inProcess' in options) return { dial: inProcessDial(options.inProcess), probe: async () => true };
  const { grpcDial } = await import('./grpc-dial.ts');
  return {
    dial: grpcDial({
      address: options.address,
      tls: options.tls,
      nodeId: options.nodeId,
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    }),
    probe: tcpProbe(options.address),
  };
}

/** Boots from the cache file, so that the data plane serves before the control plane answers. */
async function serveTheCache(
  store: ConfigStore,
  options: SyncClientOptions,
  emit: (event: SyncClientEvent) => void,
  checkPlugins: (next: VersionedConfig, delta: undefined) => void,
): Promise<void> {
  try {
    const cached = await store.readCache();
    if (cached === undefined) {
      await serveTheFallback(store, options, emit, checkPlugins);
      return;
    }
    // Written by this node with the plugins it had then: it may use one it no longer has.
    checkPlugins(cached, undefined);
    await options.apply(cached);
    store.commit(cached, { fromCache: true });
    emit({ type: 'cache-loaded', version: cached.version, hash: cached.hash });
    emit({ type: 'applied', kind: 'cache', version: cached.version, hash: cached.hash });
    options.log.info(
      { version: cached.version, path: options.cacheFile },
      'serving the cached configuration',
    );
  } catch (error) {
    options.log.error(
      { err: error, path: options.cacheFile },
      `starting without a configuration: ${(error as Error).message}`,
    );
  }
}

/** No cache file: the declarative file, if the node has one (Kong's DP with declarative_config). */
async function serveTheFallback(
  store: ConfigStore,
  options: SyncClientOptions,
  emit: (event: SyncClientEvent) => void,
  checkPlugins: (next: VersionedConfig, delta: undefined) => void,
): Promise<void> {
  const fallback = options.fallback;
  if (fallback === undefined) return;
  checkPlugins(fallback.config, undefined);
  await options.apply(fallback.config);
  store.commit(fallback.config, { fromCache: true });
  emit({
    type: 'applied',
    kind: 'declarative',
    version: fallback.config.version,
    hash: fallback.config.hash,
  });
  options.log.info(
    { origin: fallback.origin, hash: fallback.config.hash },
    'no cached configuration: serving the declarative configuration until the control plane answers',
  );
}
