import { once } from 'node:events';
import { createServer as createTcpServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type PeerCertificate, type TLSSocket } from 'node:tls';
import {
  Metadata,
  type Server,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptor,
  status,
} from '@grpc/grpc-js';
import { certificateFingerprint } from './certificate.ts';
import { type CommonNameCheck, firstCommonName } from './common-name.ts';
import { type ClusterTlsOptions, NODE_ID_METADATA, type ResolvedTls, resolveTls } from './credentials.ts';

/** A data plane the control plane refused for its certificate, for its log and metrics. */
export interface PeerRefusal {
  reason: 'certificate' | 'common_name';
  /** Why, in a sentence (also the gRPC status details the data plane receives, when it asks). */
  message: string;
  /** The data plane's IP address. */
  ip: string;
  /** The node id the data plane claims in its call metadata (unverified); undefined before a call. */
  nodeId: string | undefined;
  /** The CN of the certificate it presented, if any. */
  commonName: string | undefined;
  /** SHA-256 of that certificate, if any. */
  fingerprint: string | undefined;
}

export interface ClusterGateHooks {
  /** Once per refused connection: at its first call (with the node id it claims) or when it closes. */
  onRefused?: (refusal: PeerRefusal) => void;
  /** A TLS handshake that failed for another reason than a certificate (garbage, a scanner). */
  onHandshakeError?: (error: Error, ip: string) => void;
  /** How long a refused connection may stay open after its handshake; default 10 s. */
  refusedConnectionGraceMs?: number;
}

export interface ClusterListener {
  readonly port: number;
  /** Stops accepting and drops the connections still in the TLS handshake. */
  close(): void;
}

/** The control plane's side of the cluster link: who gets in, and where they connect. */
export interface ClusterGate {
  /** Pass to `new Server({ interceptors })`: each call is checked before it reaches a handler. */
  readonly interceptors: ServerInterceptor[];
  /** Listens on host:port (0: a free port) and hands every connection to `server`. */
  listen(server: Server, host: string, port: number): Promise<ClusterListener>;
}

/** What the control plane knows of a peer's certificate. */
interface PeerView {
  /** Whether the certificate verified against the trust anchor (the cluster certificate, or cluster_ca_cert). */
  authorized: boolean;
  cert: PeerCertificate | undefined;
}

type Verdict = (peer: PeerView) => Pick<PeerRefusal, 'reason' | 'message'> | undefined;

/** A refused connection is closed this long after its handshake, whatever it does meanwhile. */
const REFUSED_CONNECTION_GRACE_MS = 10_000;
/** node:tls waits 120 s by default; a data plane on a working link needs a fraction of a second. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * The cluster listener and its certificate checks. The listener is a TLS server of our own (in
 * `off` mode a TCP one) whose connections are handed to grpc-js (`createConnectionInjector`):
 * it asks every data plane for a certificate and lets the handshake finish whatever it is
 * (`rejectUnauthorized: false`), as Kong does (nginx `ssl_verify_client optional_no_ca`, then
 * Lua). The verdict is given per call, on its metadata, before any message reaches a handler:
 * UNAUTHENTICATED, with the reason, for a connection that presented no certificate or one that
 * does not verify — in shared mode one that is not byte for byte the cluster certificate (Kong
 * compares digests: a cluster certificate that is a CA must not admit what it signed); in pki
 * mode one not signed by `cluster_ca_cert`, or whose CN `cluster_allowed_common_names` does not
 * admit (common-name.ts).
 *
 * Owning the listener is what lets every refusal be reported, which a failed handshake inside
 * grpc-js never is: a refused connection is reported at its first call, with the node id the
 * data plane claims in its metadata, or when it closes without one; a data plane that abandons
 * the handshake after seeing our certificate (it does not trust it: Node's TLS client hangs up
 * rather than sending an alert) is reported too.
 */
export function clusterGate(options: ClusterTlsOptions, hooks: ClusterGateHooks = {}): ClusterGate {
  const tls = resolveTls(options);
  const verdict: Verdict | undefined =
    tls === undefined
      ? undefined
      : options.mode === 'shared'
        ? pinnedCertificate(tls.fingerprint)
        : caAndCommonName(tls.commonNames);
  /** Refused connections not yet reported, by `remoteAddress|remotePort`. */
  const pending = new Map<string, PeerRefusal>();
  const report = (key: string, nodeId: string | undefined) => {
    const refusal = pending.get(key);
    if (refusal === undefined) return;
    pending.delete(key);
    hooks.onRefused?.({ ...refusal, nodeId });
  };

  const check: ServerInterceptor = (_method, call) =>
    new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, forward) {
            // grpc-js shows the peer certificate only when it verified.
            const cert = call.getAuthContext().sslPeerCertificate;
            const refusal = verdict?.({ authorized: cert !== undefined, cert });
            if (refusal === undefined) {
              forward(metadata);
              return;
            }
            const connection = call.getConnectionInfo();
            const claimed = metadata.get(NODE_ID_METADATA)[0];
            report(
              `${connection.remoteAddress}|${connection.remotePort}`,
              typeof claimed === 'string' ? claimed.slice(0, 128) : undefined,
            );
            call.sendStatus({
              code: status.UNAUTHENTICATED,
              details: refusal.message,
              metadata: new Metadata(),
            });
          },
        });
      },
    });

  /** A connection through the handshake: a refused one waits for its report. */
  const examine = (socket: TLSSocket, drop: () => void): void => {
    const cert = presented(socket);
    const refusal = verdict?.({ authorized: socket.authorized, cert });
    if (refusal === undefined) return;
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    pending.set(key, {
      ...refusal,
      ip: socket.remoteAddress ?? '',
      nodeId: undefined,
      commonName: cert === undefined ? undefined : firstCommonName(cert.subject),
      fingerprint: cert === undefined ? undefined : certificateFingerprint(cert.raw),
    });
    socket.once('close', () => report(key, undefined));
    // Long enough for its first call to be told why; then an unauthenticated peer holds nothing.
    const grace = hooks.refusedConnectionGraceMs ?? REFUSED_CONNECTION_GRACE_MS;
    setTimeout(drop, grace).unref();
  };

  const handshakeFailed = (error: Error, socket: TLSSocket, ip: string): void => {
    if (abandonedAfterOurCertificate(error, socket)) {
      hooks.onRefused?.({
        reason: 'certificate',
        message:
          'the data plane abandoned the TLS handshake after the control plane’s certificate: it does not trust it (another cluster certificate, or a cluster_ca_cert that did not sign it)',
        ip,
        nodeId: undefined,
        commonName: undefined,
        fingerprint: undefined,
      });
    } else if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') {
      hooks.onHandshakeError?.(error, ip);
    }
  };

  return {
    interceptors: verdict === undefined ? [] : [check],
    listen: (server, host, port) => listen(server, host, port, tls, examine, handshakeFailed),
  };
}

async function listen(
  server: Server,
  host: string,
  port: number,
  tls: ResolvedTls | undefined,
  /** `drop` closes the connection, TCP and all (the TLS socket alone, once http2 has it, does not). */
  examine: (socket: TLSSocket, drop: () => void) => void,
  handshakeFailed: (error: Error, socket: TLSSocket, ip: string) => void,
): Promise<ClusterListener> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  /** The TCP connections, by `remoteAddress|remotePort`. */
  const sockets = new Map<string, Socket>();
  let listener: NetServer;
  if (tls === undefined) {
    listener = createTcpServer((socket) => injector.injectConnection(socket));
  } else {
    listener = createTlsServer(
      {
        // In shared mode the cluster certificate is its own, and only, trust anchor.
        ca: tls.ca ?? tls.cert,
        cert: tls.cert,
        key: tls.key,
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: ['h2'],
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      },
      (socket) => {
        const key = `${socket.remoteAddress}|${socket.remotePort}`;
        examine(socket, () => {
          socket.destroy();
          sockets.get(key)?.destroy();
        });
        injector.injectConnection(socket);
      },
    );
    // A failed handshake's socket has lost its address by the time 'tlsClientError' fires, and
    // 'keylog' is the one event that hands the socket over mid-handshake: it is used for the
    // address only (the key material is dropped, never kept or logged).
    const addresses = new WeakMap<TLSSocket, string>();
    listener.on('keylog', (_line: Buffer, socket: TLSSocket) => {
      if (!addresses.has(socket)) addresses.set(socket, socket.remoteAddress ?? '');
    });
    listener.on('tlsClientError', (error: Error, socket: TLSSocket) =>
      handshakeFailed(error, socket, addresses.get(socket) ?? socket.remoteAddress ?? ''),
    );
  }
  listener.on('connection', (socket: Socket) => {
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    sockets.set(key, socket);
    socket.once('close', () => sockets.delete(key));
  });
  listener.listen({ host, port });
  await once(listener, 'listening');
  const address = listener.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close() {
      listener.close();
      for (const socket of sockets.values()) socket.destroy();
      injector.destroy();
    },
  };
}

/** The certificate a TLS peer presented (node:tls gives an empty object for none). */
function presented(socket: TLSSocket): PeerCertificate | undefined {
  const cert = socket.getPeerCertificate();
  return cert?.raw === undefined ? undefined : cert;
}

/**
 * A handshake that reached our certificate (the client sent its hello, with a server name) and
 * was then hung up on. A bare TCP connect-and-close — the data planes' own reachability probe, a
 * load balancer's health check — sends no hello, and is not this.
 */
function abandonedAfterOurCertificate(error: Error, socket: TLSSocket): boolean {
  return (error as NodeJS.ErrnoException).code === 'ECONNRESET' && typeof socket.servername === 'string';
}

/** Shared mode: the peer certificate must be the cluster certificate itself. */
function pinnedCertificate(fingerprint: string): Verdict {
  return ({ cert }) =>
    cert?.raw !== undefined && certificateFingerprint(cert.raw) === fingerprint
      ? undefined
      : {
          reason: 'certificate',
          message: 'data plane certificate is not the cluster certificate (cluster_mtls = shared)',
        };
}

/** Pki mode: a certificate that verified against cluster_ca_cert, with an admitted CN. */
function caAndCommonName(admits: CommonNameCheck): Verdict {
  return ({ authorized, cert }) => {
    if (!authorized || cert?.raw === undefined) {
      return {
        reason: 'certificate',
        message:
          'data plane presented no certificate, or one not signed by cluster_ca_cert (cluster_mtls = pki)',
      };
    }
    const commonName = firstCommonName(cert.subject);
    if (commonName === undefined) {
      return {
        reason: 'common_name',
        message: 'data plane presented incorrect client certificate during handshake, unable to extract CN',
      };
    }
    if (admits(commonName)) return undefined;
    return {
      reason: 'common_name',
      message: `data plane presented client certificate with incorrect CN during handshake, got: ${commonName}`,
    };
  };
}
