import { Metadata, Server, type ServerDuplexStream, status } from '@grpc/grpc-js';
import { ConfigSyncService, type ControlPlaneMessage, type DataPlaneMessage } from '@turnpike/proto';
import type { Logger } from '@turnpike/shared';
import {
  type ClusterTlsOptions,
  certificateDetails,
  clusterGate,
  type PeerRefusal,
} from '@turnpike/shared/cluster';
import { DEFAULT_MAX_PAYLOAD } from '@turnpike/shared/sync';
import type { Registry } from 'prom-client';
import { type ConfigSource, SnapshotEncodingCache } from '../snapshot/index.ts';
import { ClusterBalancers } from './cluster-balancers.ts';
import { type SyncMetrics, syncMetrics } from './metrics.ts';
import { type DataPlaneRegistry, MemoryDataPlaneRegistry } from './registry.ts';
import { DataPlaneSession, type SessionContext } from './session.ts';

export interface SyncServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls: ClusterTlsOptions;
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

export interface SyncServer {
  port: number;
  registry: DataPlaneRegistry;
  /** The connected data planes' balancers: their reported health, and marks sent to them. */
  balancers: ClusterBalancers;
  /** Ends every stream and closes the listener. */
  stop(): Promise<void>;
}

type SyncCall = ServerDuplexStream<DataPlaneMessage, ControlPlaneMessage>;

/** A data plane applies 50,000 routes in a few seconds; a minute without an answer is a fault. */
const DEFAULT_ACK_TIMEOUT_MS = 60_000;

/** The control plane's cluster listener: one ConfigSync stream per data plane, over mutual TLS. */
export async function startSyncServer(options: SyncServerOptions): Promise<SyncServer> {
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

  const handle = (call: SyncCall): void => {
    const session = new DataPlaneSession(context, {
      send: (message) => {
        if (!call.writableEnded && !call.destroyed) call.write(message);
      },
      close: (code, details) => {
        if (call.writableEnded || call.destroyed) return;
        if (code === undefined) call.end();
        else call.emit('error', { code, details });
      },
      peerIp: peerIp(call.getPeer()),
      certDetails: peerCertDetails(call),
    });
    sessions.add(session);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      sessions.delete(session);
      const id = session.nodeId;
      if (id !== undefined && byNode.get(id) === session) byNode.delete(id);
      session.closed();
      countConnected();
    };
    // Headers at once: the data plane knows it is connected before any config is due.
    call.sendMetadata(new Metadata());
    call.on('data', (message: DataPlaneMessage) => session.receive(message));
    call.on('end', () => {
      if (!call.writableEnded) call.end();
      finish();
    });
    call.on('cancelled', finish);
    call.on('close', finish);
    call.on('error', (error) => {
      log.debug({ err: error, node_id: session.nodeId }, 'sync stream error');
      finish();
    });
  };

  const gate = clusterGate(options.tls, {
    onRefused: refusalLogger(log, metrics),
    onHandshakeError: (error, ip) => log.debug({ err: error, ip }, 'cluster TLS handshake failed'),
  });
  const server = new Server({
    interceptors: gate.interceptors,
    // A data plane behind a dead network path is noticed by keepalive pings within ~10 s.
    'grpc.keepalive_time_ms': 5_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    'grpc.max_send_message_length': maxPayload + 1024 * 1024,
  });
  server.addService(ConfigSyncService, { sync: handle });
  const listener = await gate.listen(server, options.host, options.port);
  const { port } = listener;

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

  log.info({ port, host: options.host, mtls: options.tls.mode }, 'cluster listener started');
  return {
    port,
    registry,
    balancers,
    async stop() {
      clearInterval(timer);
      unsubscribe();
      for (const session of [...sessions]) session.expire(status.UNAVAILABLE, 'control plane shutting down');
      await new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams are long-lived: after ending them, do not wait on stragglers.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      });
      listener.close();
    },
  };
}

/**
 * Logs and counts a data plane refused by the certificate checks. The node id is the one the
 * data plane claims in its call metadata (unverified, but what lets an operator find it); a
 * data plane that hung up before any call is known by its address and certificate only.
 */
function refusalLogger(log: Logger, metrics: SyncMetrics): (refusal: PeerRefusal) => void {
  return (refusal) => {
    metrics.refused(refusal.reason);
    log.warn(
      {
        reason: refusal.reason,
        node_id: refusal.nodeId,
        ip: refusal.ip,
        common_name: refusal.commonName,
        fingerprint: refusal.fingerprint,
        error: refusal.message,
      },
      'data plane refused',
    );
  };
}

/** `127.0.0.1:5000`, `[::1]:5000` or `ipv6:[::1]:5000` → the address alone. */
export function peerIp(peer: string): string {
  const withoutScheme = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(withoutScheme);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const colon = withoutScheme.lastIndexOf(':');
  return colon > 0 && withoutScheme.indexOf(':') === colon ? withoutScheme.slice(0, colon) : withoutScheme;
}

function peerCertDetails(call: SyncCall): { expiry_timestamp: number } | undefined {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  if (raw === undefined) return undefined;
  try {
    return { expiry_timestamp: certificateDetails(raw).expiry_timestamp };
  } catch {
    return undefined;
  }
}
