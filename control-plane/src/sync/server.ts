import { Metadata, Server, type ServerDuplexStream } from '@grpc/grpc-js';
import { ConfigSyncService, type ControlPlaneMessage, type DataPlaneMessage } from '@turnpike/proto';
import type { Logger } from '@turnpike/shared';
import {
  type ClusterTlsOptions,
  certificateDetails,
  clusterGate,
  type PeerRefusal,
} from '@turnpike/shared/cluster';
import { DEFAULT_MAX_PAYLOAD } from '@turnpike/shared/sync';
import type { ClusterBalancers } from './cluster-balancers.ts';
import { type SyncHub, type SyncHubOptions, startSyncHub } from './hub.ts';
import type { SyncMetrics } from './metrics.ts';
import type { DataPlaneRegistry } from './registry.ts';

export interface SyncServerOptions extends SyncHubOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls: ClusterTlsOptions;
}

export interface SyncServer {
  port: number;
  registry: DataPlaneRegistry;
  /** The connected data planes' balancers: their reported health, and marks sent to them. */
  balancers: ClusterBalancers;
  /** What serves the streams: a stream from this process may join it (in-process.ts). */
  hub: SyncHub;
  /** Ends every stream and closes the listener. */
  stop(): Promise<void>;
}

type SyncCall = ServerDuplexStream<DataPlaneMessage, ControlPlaneMessage>;

/**
 * The control plane's cluster listener: one ConfigSync stream per data plane, over mutual TLS,
 * each handed to the sync hub (hub.ts) as a session's stream.
 */
export async function startSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const { log } = options;
  const hub = startSyncHub(options);

  const handle = (call: SyncCall): void => {
    const link = hub.accept({
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
    // Headers at once: the data plane knows it is connected before any config is due.
    call.sendMetadata(new Metadata());
    call.on('data', (message: DataPlaneMessage) => link.receive(message));
    call.on('end', () => {
      if (!call.writableEnded) call.end();
      link.closed();
    });
    call.on('cancelled', link.closed);
    call.on('close', link.closed);
    call.on('error', (error) => {
      log.debug({ err: error, node_id: link.nodeId }, 'sync stream error');
      link.closed();
    });
  };

  const gate = clusterGate(options.tls, {
    onRefused: refusalLogger(log, hub.metrics),
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

  log.info({ port, host: options.host, mtls: options.tls.mode }, 'cluster listener started');
  return {
    port,
    registry: hub.registry,
    balancers: hub.balancers,
    hub,
    async stop() {
      hub.stop();
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
