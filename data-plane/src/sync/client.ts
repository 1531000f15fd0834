import { type ClientDuplexStream, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  ConfigSyncClient,
  type ControlPlaneMessage,
  type DataPlaneMessage,
  type Delta,
  type Snapshot,
} from '@turnpike/proto';
import type { Logger } from '@turnpike/shared';
import { type ClusterChannelOptions, channelCredentials, channelOptions } from '@turnpike/shared/cluster';
import {
  applyDelta,
  type ConfigDelta,
  changeFromWire,
  DEFAULT_MAX_PAYLOAD,
  decodeSnapshotPayload,
  hashConfig,
  type VersionedConfig,
} from '@turnpike/shared/sync';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
import { readCacheFile } from './cache-file.ts';
import { CacheWriter } from './cache-writer.ts';

export interface SyncClientOptions {
  /** `cluster_control_plane`: host:port. */
  address: string;
  tls: ClusterChannelOptions;
  nodeId: string;
  hostname: string;
  turnpikeVersion: string;
  plugins: { name: string; version: string }[];
  /** `cluster_dp_labels`, as `key:value`. */
  labels?: string[];
  /** Where the last applied config is kept; loaded at start, written after the Ack. */
  cacheFile: string;
  /** The shortest time between two cache file writes (a burst of versions is written once); default 1 s. */
  cacheWriteIntervalMs?: number;
  log: Logger;
  /**
   * Validates, compiles and swaps in a config; a throw is sent to the control plane as a Nack.
   * `delta` is set when `next` was built from the config last applied by a Delta: what changed,
   * so that the work can be proportional to the change.
   */
  apply: (next: VersionedConfig, delta?: ConfigDelta) => void | Promise<void>;
  backoff?: Partial<BackoffOptions>;
  heartbeatIntervalMs?: number;
  /** `cluster_max_payload`. */
  maxPayload?: number;
  /** Observes what the client does: for readiness, metrics and tests. */
  onEvent?: (event: SyncClientEvent) => void;
}

export type SyncClientEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; error: string }
  | { type: 'cache-loaded'; version: number; hash: string }
  | { type: 'received'; kind: 'snapshot' | 'delta'; version: number; fromVersion?: number }
  | { type: 'applied'; kind: 'snapshot' | 'delta' | 'cache'; version: number; hash: string }
  | { type: 'cache-written'; version: number }
  | { type: 'rejected'; kind: 'snapshot' | 'delta'; version: number; error: string }
  | { type: 'refused'; syncStatus: string; message: string };

/** For readiness: serving needs a config; connected says whether updates can arrive. */
export interface SyncClientState {
  hasConfig: boolean;
  version: number;
  hash: string;
  connected: boolean;
}

export interface SyncClient {
  state(): SyncClientState;
  stop(): Promise<void>;
}

type SyncStream = ClientDuplexStream<DataPlaneMessage, ControlPlaneMessage>;

/** A data plane's side of the sync protocol: cache, stream, apply, Ack/Nack, reconnect. */
export async function startSyncClient(options: SyncClientOptions): Promise<SyncClient> {
  const { log } = options;
  const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const emit = options.onEvent ?? (() => {});

  let current: VersionedConfig | undefined;
  let connected = false;
  let stopped = false;
  let attempt = 0;
  /** Set after a delta we could not apply onto what we hold: the next Hello asks for a snapshot. */
  let wantSnapshot = false;
  let stream: SyncStream | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const cache = new CacheWriter({
    path: options.cacheFile,
    log,
    ...(options.cacheWriteIntervalMs === undefined ? {} : { intervalMs: options.cacheWriteIntervalMs }),
    onWritten: (version) => emit({ type: 'cache-written', version }),
  });

  try {
    const cached = await readCacheFile(options.cacheFile);
    if (cached !== undefined) {
      await options.apply(cached);
      current = cached;
      emit({ type: 'cache-loaded', version: cached.version, hash: cached.hash });
      emit({ type: 'applied', kind: 'cache', version: cached.version, hash: cached.hash });
      log.info({ version: cached.version, path: options.cacheFile }, 'serving the cached configuration');
    }
  } catch (error) {
    log.error(
      { err: error, path: options.cacheFile },
      `starting without a configuration: ${(error as Error).message}`,
    );
  }

  const client = new ConfigSyncClient(options.address, channelCredentials(options.tls), {
    ...channelOptions(options.tls),
    'grpc.max_receive_message_length': maxPayload + 1024 * 1024,
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    // Reconnection is paced by our own backoff, not grpc-js's.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': backoff.maxMs,
  });

  const connect = (): void => {
    reconnectTimer = undefined;
    if (stopped) return;
    const call = client.sync(new Metadata(), {});
    stream = call;
    let lastHeard = Date.now();
    let refused = false;
    let ended = false;
    // Messages are handled one at a time, in order: apply may be async.
    let queue = Promise.resolve();

    const send = (message: DataPlaneMessage) => {
      if (!ended && stream === call) call.write(message);
    };
    const end = (error: string) => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeatTimer);
      if (stream === call) stream = undefined;
      if (connected) {
        connected = false;
      }
      emit({ type: 'disconnected', error });
      if (stopped) return;
      const delay = refused ? backoff.maxMs : backoffDelay(attempt, backoff);
      attempt += 1;
      log.warn({ error, retry_in_ms: delay, attempt }, 'sync stream closed; reconnecting');
      reconnectTimer = setTimeout(connect, delay);
      reconnectTimer.unref();
    };

    call.on('metadata', () => {
      connected = true;
      attempt = 0;
      lastHeard = Date.now();
      emit({ type: 'connected' });
    });
    call.on('data', (message: ControlPlaneMessage) => {
      lastHeard = Date.now();
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
        .then(() => handle(message, send, call))
        .catch((error: unknown) => {
          log.error({ err: error }, 'sync message handling failed');
        });
    });
    call.on('error', (error: ServiceError) => {
      if (error.code === status.CANCELLED && stopped) return end('stopped');
      const level = error.code === status.UNAUTHENTICATED ? 'error' : 'warn';
      log[level]({ code: error.code, details: error.details }, 'sync stream failed');
      end(error.details || error.message);
    });
    call.on('status', () => end('stream ended'));
    call.on('end', () => end('stream ended'));

    const refuse = (syncStatus: string, message: string) => {
      refused = true;
      log.error({ sync_status: syncStatus }, `control plane refused this data plane: ${message}`);
      emit({ type: 'refused', syncStatus, message });
    };

    const hello = wantSnapshot || current === undefined ? { version: 0, hash: '' } : current;
    wantSnapshot = false;
    send({
      kind: {
        $case: 'hello',
        value: {
          nodeId: options.nodeId,
          hostname: options.hostname,
          turnpikeVersion: options.turnpikeVersion,
          plugins: options.plugins,
          configVersion: hello.version,
          configHash: hello.hash,
          labels: options.labels ?? [],
        },
      },
    });

    heartbeatTimer = setInterval(() => {
      if (Date.now() - lastHeard > 3 * heartbeatIntervalMs) {
        // Three intervals without a word: the stream is dead even if TCP has not noticed.
        call.cancel();
        end('no message from the control plane for three heartbeat intervals');
        return;
      }
      send({
        kind: {
          $case: 'heartbeat',
          value: {
            configVersion: current?.version ?? 0,
            configHash: current?.hash ?? '',
            sentAtMs: Date.now(),
          },
        },
      });
    }, heartbeatIntervalMs);
    heartbeatTimer.unref();

    const handle = async (message: ControlPlaneMessage, reply: typeof send, owner: SyncStream) => {
      if (stream !== owner) return;
      switch (message.kind?.$case) {
        case 'snapshot':
          return reply(await onSnapshot(message.kind.value));
        case 'delta': {
          const answer = await onDelta(message.kind.value);
          reply(answer.message);
          if (answer.resync) {
            // We cannot build on what we hold: reconnect and ask for a whole snapshot.
            wantSnapshot = true;
            owner.cancel();
          }
          return;
        }
        case 'refusal':
          return refuse(message.kind.value.syncStatus, message.kind.value.message);
        default:
          // Heartbeats only prove liveness (lastHeard); unknown kinds are ignored by contract.
          return;
      }
    };
  };

  const nack = (version: number, error: string): DataPlaneMessage => ({
    kind: { $case: 'nack', value: { version, error, details: [], code: '' } },
  });

  /**
   * Swaps in `next` and answers with Ack — or Nack when apply throws. The cache file is written
   * afterwards, off the Ack's path (CacheWriter says what a crash in between costs).
   */
  const commit = async (
    next: VersionedConfig,
    kind: 'snapshot' | 'delta',
    startedAt: number,
    delta?: ConfigDelta,
  ) => {
    try {
      await (delta === undefined ? options.apply(next) : options.apply(next, delta));
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      log.error({ version: next.version, kind, error: text }, 'configuration rejected; keeping the old one');
      emit({ type: 'rejected', kind, version: next.version, error: text });
      return nack(next.version, text);
    }
    current = next;
    cache.schedule(next);
    const applyMs = Math.round(performance.now() - startedAt);
    log.info({ version: next.version, kind, apply_ms: applyMs }, 'configuration applied');
    emit({ type: 'applied', kind, version: next.version, hash: next.hash });
    return {
      kind: { $case: 'ack' as const, value: { version: next.version, hash: next.hash, applyMs } },
    } satisfies DataPlaneMessage;
  };

  const onSnapshot = async (snapshot: Snapshot): Promise<DataPlaneMessage> => {
    const startedAt = performance.now();
    let config: VersionedConfig['config'];
    try {
      config = decodeSnapshotPayload(snapshot, { maxPayload });
    } catch (error) {
      emit({
        type: 'rejected',
        kind: 'snapshot',
        version: snapshot.version,
        error: (error as Error).message,
      });
      return nack(snapshot.version, (error as Error).message);
    }
    const hash = hashConfig(config);
    if (hash !== snapshot.hash) {
      const error = `snapshot ${snapshot.version} hashes to ${hash}, not ${snapshot.hash}`;
      emit({ type: 'rejected', kind: 'snapshot', version: snapshot.version, error });
      return nack(snapshot.version, error);
    }
    return commit({ version: snapshot.version, hash, config }, 'snapshot', startedAt);
  };

  const onDelta = async (delta: Delta): Promise<{ message: DataPlaneMessage; resync: boolean }> => {
    const startedAt = performance.now();
    const fail = (error: string) => {
      emit({ type: 'rejected', kind: 'delta', version: delta.version, error });
      return { message: nack(delta.version, error), resync: true };
    };
    if (current === undefined || current.version !== delta.fromVersion) {
      return fail(
        `delta from version ${delta.fromVersion}, but this data plane holds ${current?.version ?? 'none'}`,
      );
    }
    let next: ReturnType<typeof applyDelta>;
    let changes: ConfigDelta['changes'];
    try {
      changes = delta.changes.map(changeFromWire);
      next = applyDelta(current.config, current.hash, changes);
    } catch (error) {
      return fail((error as Error).message);
    }
    if (next.hash !== delta.hash) {
      return fail(`delta to version ${delta.version} hashes to ${next.hash}, not ${delta.hash}`);
    }
    return {
      message: await commit(
        { version: delta.version, hash: next.hash, config: next.config },
        'delta',
        startedAt,
        { fromVersion: delta.fromVersion, changes },
      ),
      resync: false,
    };
  };

  connect();

  return {
    state: () => ({
      hasConfig: current !== undefined,
      version: current?.version ?? 0,
      hash: current?.hash ?? '',
      connected,
    }),
    async stop() {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearInterval(heartbeatTimer);
      stream?.cancel();
      client.close();
      // A stopped data plane restarts from the version it served last.
      await cache.flush();
    },
  };
}
