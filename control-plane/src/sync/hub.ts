import type { DataPlaneMessage } from '@turnpike/proto';
import type { Logger } from '@turnpike/shared';
import { DEFAULT_MAX_PAYLOAD } from '@turnpike/shared/sync';
import type { Registry } from 'prom-client';
import { type ConfigSource, SnapshotEncodingCache } from '../snapshot/index.ts';
import { ClusterBalancers } from './cluster-balancers.ts';
import { type SyncMetrics, syncMetrics } from './metrics.ts';
import { type DataPlaneRegistry, MemoryDataPlaneRegistry } from './registry.ts';
import { DataPlaneSession, type SessionContext, type SessionStream } from './session.ts';

export interface SyncHubOptions {
  source: ConfigSource;
  log: Logger;
  /** This control plane's Turnpike version, against which data planes are checked. */
  turnpikeVersion: string;
  /** Default: a MemoryDataPlaneRegistry. */
  registry?: DataPlaneRegistry;
  /** `cluster_data_plane_purge_delay`: seconds after which a data plane not seen is forgotten. */
  purgeDelaySeconds?: number;
  /** Pass the status listener's Registry to export sync metrics. */
  metrics?: Registry;
  heartbeatIntervalMs?: number;
  /** A data plane silent for this long is disconnected and shown offline. */
  deadAfterMs?: number;
  /**
   * A version in flight this long without Ack or Nack is given up (logged, counted, shown as
   * last_error) and the stream closed, so that the data plane reconnects; default 60 s. Checked
   * by the sweep, so it fires up to one sweep interval late.
   */
  ackTimeoutMs?: number;
  /** `cluster_max_payload`. */
  maxPayload?: number;
  /** Snapshot compression; gzip for data planes that lack zstd. Default zstd. */
  compression?: 'zstd' | 'gzip';
}

/** What the stream's owner tells the hub: a message arrived, or the stream is gone (idempotent). */
export interface PeerLink {
  /** The data plane's node id, once its Hello said it. */
  readonly nodeId: string | undefined;
  receive(message: DataPlaneMessage): void;
  closed(): void;
}

export interface SyncHub {
  readonly registry: DataPlaneRegistry;
  /** The connected data planes' balancers: their reported health, and marks sent to them. */
  readonly balancers: ClusterBalancers;
  readonly metrics: SyncMetrics;
  /** A new stream from a data plane (gRPC call or in-process pipe). */
  accept(stream: SessionStream): PeerLink;
  /** Whether `stop` ran: a stream accepted after it is closed at once. */
  readonly stopped: boolean;
  /** Ends every stream (UNAVAILABLE) and the timers. */
  stop(): void;
}

/** A data plane applies 50,000 routes in a few seconds; a minute without an answer is a fault. */
const DEFAULT_ACK_TIMEOUT_MS = 60_000;
/** gRPC's UNAVAILABLE. */
const UNAVAILABLE = 14;

/**
 * The control plane's side of sync, whatever carries the streams: one session per data plane
 * stream, the registry, heartbeats out and the sweep for silent or unanswering data planes, the
 * snapshot encoded once for all. server.ts feeds it gRPC calls; in-process.ts, the pipe of a
 * traditional node's own data plane.
 */
export function startSyncHub(options: SyncHubOptions): SyncHub {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const deadAfterMs = options.deadAfterMs ?? 30_000;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const registry = options.registry ?? new MemoryDataPlaneRegistry(Date.now, options.purgeDelaySeconds);
  const metrics = syncMetrics(options.metrics);
  const { source, log } = options;
  const sessions = new Set<DataPlaneSession>();
  const byNode = new Map<string, DataPlaneSession>();
  const snapshots = new SnapshotEncodingCache(source, {
    maxPayload,
    ...(options.compression === undefined ? {} : { compression: options.compression }),
  });
  let stopped = false;

  const countConnected = () => metrics.connected(byNode.size);
  const balancers = new ClusterBalancers(() => byNode.values(), log);
  const context: SessionContext = {
    source,
    registry,
    log,
    metrics,
    turnpikeVersion: options.turnpikeVersion,
    maxPayload,
    ackTimeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    encodedSnapshot: () => snapshots.latest(),
    balancers,
    identified(session) {
      const id = session.nodeId;
      if (id === undefined) return;
      const older = byNode.get(id);
      if (older !== undefined && older !== session) {
        log.warn({ node_id: id }, 'a second stream from the same data plane: closing the older one');
        older.supersede();
      }
      byNode.set(id, session);
      countConnected();
    },
  };

  const accept = (stream: SessionStream): PeerLink => {
    const session = new DataPlaneSession(context, stream);
    let done = false;
    const closed = () => {
      if (done) return;
      done = true;
      sessions.delete(session);
      const id = session.nodeId;
      if (id !== undefined && byNode.get(id) === session) byNode.delete(id);
      session.closed();
      countConnected();
    };
    if (stopped) {
      stream.close(UNAVAILABLE, 'control plane shutting down');
      closed();
    } else sessions.add(session);
    return {
      get nodeId() {
        return session.nodeId;
      },
      receive: (message) => {
        if (!done) session.receive(message);
      },
      closed,
    };
  };

  metrics.configVersion(source.latest().version);
  const unsubscribe = source.onVersion((latest) => {
    metrics.configVersion(latest.version);
    for (const session of sessions) void session.pump();
  });

  // Heartbeats out, and a sweep for data planes that went silent without closing or left a
  // version unanswered.
  const sweepEvery = Math.max(50, Math.min(heartbeatIntervalMs, deadAfterMs / 3, context.ackTimeoutMs / 4));
  let lastHeartbeat = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    const beat = now - lastHeartbeat >= heartbeatIntervalMs;
    if (beat) lastHeartbeat = now;
    const latestVersion = source.latest().version;
    const monotonic = performance.now();
    for (const session of sessions) {
      if (now - session.lastMessageAt > deadAfterMs) {
        log.warn({ node_id: session.nodeId }, 'data plane silent too long: closing its stream');
        session.expire();
        continue;
      }
      if (session.expireOverdue(monotonic)) continue;
      if (beat && session.nodeId !== undefined) {
        session.heartbeat({ kind: { $case: 'heartbeat', value: { sentAtMs: now, latestVersion } } });
      }
    }
  }, sweepEvery);
  timer.unref();

  return {
    registry,
    balancers,
    metrics,
    accept,
    get stopped() {
      return stopped;
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      for (const session of [...sessions]) session.expire(UNAVAILABLE, 'control plane shutting down');
    },
  };
}
