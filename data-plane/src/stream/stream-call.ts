/**
 * One proxied stream connection, once routed: the upstream-attempt machine
 * (../balancer/attempts.ts) over TCP (or TLS for a `tls` service), then bytes both ways.
 *
 * - Each attempt connects to the service's host, or to the peer its Upstream's balancer picks,
 *   within the service's connect_timeout; a connection that never opened is retried on another
 *   peer up to `retries`, and counted by passive health checks.
 * - Once connected, the two sockets are piped both ways with backpressure (`pipe` pauses the
 *   faster side). A FIN from one side is passed on as a FIN (half-close), and the connection ends
 *   when both directions have ended.
 * - The service's read_timeout and write_timeout bound how long either side may stay silent
 *   (nginx's proxy_timeout between two reads or writes): then both sockets are closed.
 * - A connection that cannot be served is closed: a stream has no error page.
 * - Where the native splice loop runs (./splice.ts) and both sides are plain kernel TCP sockets
 *   (a `tcp` or `tls_passthrough` connection to a `tcp` service), the bytes are moved by the
 *   kernel instead (splice(2)), with the same half-close, idle bounds and byte counts.
 */

import { isIP, connect as netConnect, type Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import type { SerializedTls } from '@turnpike/plugin-sdk';
import type { Logger } from '@turnpike/shared';
import { type FailedTry, UpstreamAttempts } from '../balancer/attempts.ts';
import type { HashRequest } from '../balancer/hash-value.ts';
import type { Peer } from '../balancer/peer.ts';
import type { ServiceDispatch } from '../runtime/index.ts';
import { tlsConnectOptions } from '../upstream/index.ts';
import type { StreamProtocol, StreamRoute } from './router.ts';
import {
  prepareHandOff,
  resumeReading,
  type SpliceEnd,
  type SpliceForwarder,
  socketFd,
  spliceForwarder,
} from './splice.ts';

const NO_HEADERS = Object.freeze({});

/**
 * One upstream attempt (Kong's balancer try): one that failed, as the attempt machine recorded it
 * (with its code), or the one that connected (the address it resolved to).
 */
export type StreamTry = FailedTry | { readonly ip: string; readonly port: number };

/** The session's tries: the failed ones, then the one that connected, if any. */
export function streamTries(
  failed: readonly FailedTry[],
  connected: StreamTry | undefined,
): readonly StreamTry[] {
  return connected === undefined ? failed : [...failed, connected];
}

/** Where a session came from, known when it is routed. */
export interface StreamOrigin {
  /** The client's address and port (a trusted PROXY header's, else the peer's). */
  readonly clientIp: string;
  readonly clientPort: number;
  /** The port the client connected to (Kong's `$server_port`). */
  readonly serverPort: number;
  /** A terminated `tls` connection's protocol, cipher and client verification (Kong's build_tls_info). */
  readonly tls: SerializedTls | undefined;
}

/** What a closed session leaves: the stream log phase (./log-phase.ts), metrics, the log line. */
export interface StreamCallDone extends StreamOrigin {
  /** Bytes sent to the upstream (nginx's `$upstream_bytes_sent`), and to the client (`$bytes_sent`). */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Bytes received from the client (`$bytes_received`), and from the upstream (`$upstream_bytes_received`). */
  readonly clientReceived: number;
  readonly upstreamReceived: number;
  /** Kong's stream status: 200 once the upstream was connected, else 502 (no peer, every attempt failed). */
  readonly status: 200 | 502;
  /** From the routed connection to its close, in ms (Kong's `latencies.session`). */
  readonly sessionMs: number;
  /** When it was routed, ms since the epoch (Kong's `started_at`). */
  readonly startedAt: number;
  /** From routing to the first upstream connect, in ms (Kong's KONG_PROXY_LATENCY); the session's when none began. */
  readonly kongMs: number;
  /** Every upstream attempt, in order. */
  readonly tries: readonly StreamTry[];
  /** How the bytes were moved once connected: in the kernel (`splice`) or through JS (`pipe`). */
  readonly forwarding?: 'splice' | 'pipe';
}

/** A closed session as the listeners report it (`onClosed`): its facts, its route, its protocol. */
export type ClosedStream = StreamCallDone & {
  readonly route: StreamRoute;
  readonly protocol: StreamProtocol;
};

export class StreamCall extends UpstreamAttempts {
  readonly #client: Socket;
  readonly #dispatch: ServiceDispatch;
  readonly #route: StreamRoute;
  readonly #log: Logger;
  readonly #onDone: (call: StreamCall, done: StreamCallDone) => void;
  readonly #origin: StreamOrigin;
  /** The attempt that connected. */
  #connectedTry: StreamTry | undefined = undefined;
  #upstream: Socket | undefined = undefined;
  #closed = false;
  #served = false;
  readonly #started = Date.now();
  #connecting = 0;
  /** The splice loop and this connection's id in it, while it forwards. */
  #spliceLoop: SpliceForwarder | undefined = undefined;
  #spliceId: number | undefined = undefined;
  /** Set once handed to the splice loop (then its end's counts). */
  #spliced: { clientToUpstream: number; upstreamToClient: number } | undefined = undefined;

  constructor(
    client: Socket,
    route: StreamRoute,
    dispatch: ServiceDispatch,
    log: Logger,
    origin: StreamOrigin,
    onDone: (call: StreamCall, done: StreamCallDone) => void,
  ) {
    super(dispatch);
    this.#client = client;
    this.#origin = origin;
    this.#route = route;
    this.#dispatch = dispatch;
    this.#log = log;
    this.#onDone = onDone;
    // Nothing is read from the client until the upstream is connected (then `pipe` resumes it).
    client.pause();
    client.on('error', (err) => this.#close(err));
    client.once('close', (hadError) => this.#sideClosed(hadError));
  }

  /** The first attempt; consistent hashing on a stream can only hash on the client's address. */
  start(): void {
    const request: HashRequest = {
      headers: NO_HEADERS,
      clientIp: this.#client.remoteAddress ?? '',
      path: '',
      query: '',
      uriCaptures: undefined,
      consumerId: undefined,
    };
    this.begin(request);
  }

  /** Closes both sides now (a stop at its deadline). */
  destroy(): void {
    if (this.#spliceId !== undefined) {
      // The loop closes its fds and reports (reason `aborted`): then both sockets are destroyed.
      this.#spliceLoop?.abort(this.#spliceId);
      return;
    }
    this.#client.destroy();
    this.#upstream?.destroy();
  }

  protected sendAttempt(peer: Peer | undefined): void {
    if (this.#closed) return;
    const service = this.#dispatch.service;
    const host = peer?.ip ?? service.host;
    const port = peer?.port ?? service.port;
    if (this.#connecting === 0) this.#connecting = Date.now();
    const tls = this.#dispatch.tls;
    const upstream =
      service.protocol === 'tls'
        ? tlsConnect({
            host,
            port,
            ...(tls === undefined ? { rejectUnauthorized: false } : tlsConnectOptions(tls)),
            ...(isIP(service.host) === 0 ? { servername: service.host } : {}),
          })
        : netConnect({ host, port, allowHalfOpen: true });
    this.#upstream = upstream;
    const connectTimeout = this.#dispatch.connectTimeout;
    const timer =
      connectTimeout > 0
        ? setTimeout(
            () =>
              upstream.destroy(
                Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
              ),
            connectTimeout,
          )
        : undefined;
    const failedBeforeConnect = (err: Error): void => {
      if (timer !== undefined) clearTimeout(timer);
      if (this.#upstream === upstream) this.#upstream = undefined;
      this.failed(err);
    };
    upstream.once('error', failedBeforeConnect);
    upstream.once(service.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      if (timer !== undefined) clearTimeout(timer);
      upstream.off('error', failedBeforeConnect);
      // A hostname service: the try names the address it resolved to, as Kong's balancer does.
      this.#connectedTry = { ip: upstream.remoteAddress ?? host, port };
      this.connected();
      this.#served = true;
      const loop = service.protocol === 'tcp' ? spliceForwarder() : undefined;
      if (loop !== undefined && !(this.#client instanceof TLSSocket) && socketFd(this.#client) !== undefined)
        this.#splice(upstream, loop);
      else this.#pipe(upstream);
    });
  }

  #pipe(upstream: Socket): void {
    if (this.#closed) {
      upstream.destroy();
      return;
    }
    upstream.on('error', (err) => this.#close(err));
    upstream.once('close', (hadError) => this.#sideClosed(hadError));
    this.#forward(upstream);
  }

  /** Idle bound of either side (nginx's proxy_timeout): read_timeout or write_timeout, the longer. */
  #idleMs(): number {
    return Math.max(this.#dispatch.readTimeout, this.#dispatch.writeTimeout);
  }

  /** Pipes both ways in JS, each socket bounded by the service's idle timeouts. */
  #forward(upstream: Socket): void {
    const client = this.#client;
    const idle = this.#idleMs();
    if (idle > 0) {
      upstream.setTimeout(idle, () =>
        this.#close(Object.assign(new Error('stream idle timeout'), { code: 'ETIMEDOUT' })),
      );
      client.setTimeout(idle, () =>
        this.#close(Object.assign(new Error('stream idle timeout'), { code: 'ETIMEDOUT' })),
      );
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  /**
   * Hands both sockets to the native splice loop once what JS holds is forwarded (./splice.ts).
   * Until the loop reports, neither socket is read or written by libuv.
   */
  #splice(upstream: Socket, loop: SpliceForwarder): void {
    const client = this.#client;
    if (this.#closed) {
      upstream.destroy();
      return;
    }
    upstream.on('error', (err) => this.#close(err));
    upstream.once('close', (hadError) => this.#sideClosed(hadError));
    this.#spliced = { clientToUpstream: 0, upstreamToClient: 0 };
    prepareHandOff(
      client,
      upstream,
      () => {
        if (this.#closed) return;
        const clientFd = socketFd(client);
        const upstreamFd = socketFd(upstream);
        if (clientFd === undefined || upstreamFd === undefined) {
          this.#close(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
          return;
        }
        try {
          this.#spliceId = loop.add(clientFd, upstreamFd, this.#idleMs(), (end) => this.#spliceEnded(end));
          this.#spliceLoop = loop;
        } catch (err) {
          // Refused (out of fds or memory): this connection is piped in JS instead.
          this.#log.warn({ err }, 'stream splice refused a connection: piped instead');
          this.#spliced = undefined;
          resumeReading(client);
          resumeReading(upstream);
          this.#forward(upstream);
        }
      },
      (err) => this.#close(err),
    );
  }

  #spliceEnded(end: SpliceEnd): void {
    this.#spliceId = undefined;
    this.#spliced = { clientToUpstream: end.clientToUpstream, upstreamToClient: end.upstreamToClient };
    if (end.reason === 'timeout')
      this.#close(Object.assign(new Error('stream idle timeout'), { code: 'ETIMEDOUT' }));
    else if (end.reason === 'error')
      this.#close(Object.assign(new Error(`splice: ${end.code ?? 'error'}`), { code: end.code }));
    else this.#close(undefined);
  }

  /**
   * One side closed. After a clean end each way (FIN passed on by `pipe`), the other side closes
   * by itself once its own writes are flushed; an abrupt close (RST) takes the other side down.
   */
  #sideClosed(hadError: boolean): void {
    const upstream = this.#upstream;
    if (hadError || upstream === undefined || (this.#client.closed && upstream.closed)) {
      this.#close(
        hadError ? Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }) : undefined,
      );
      return;
    }
    // The other side still flushes what it holds; pipe has ended it.
  }

  protected answerFailure(): void {
    // No peer could take it, or every attempt failed: a stream has no error page.
    this.#close(undefined);
  }

  #close(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#spliceId !== undefined) {
      // Closed from JS while the loop forwards (not expected: libuv neither reads nor writes).
      this.#spliceLoop?.abort(this.#spliceId);
      this.#spliceId = undefined;
    }
    this.released();
    const client = this.#client;
    const upstream = this.#upstream;
    if (err !== undefined) {
      this.#log.info(
        { err: err.message, code: (err as { code?: string }).code, route: this.#route.route.id },
        'stream connection closed on error',
      );
    }
    client.destroy();
    upstream?.destroy();
    const now = Date.now();
    // Spliced: what the kernel moved, beyond what JS read and wrote before the hand-off.
    const c2u = this.#spliced?.clientToUpstream ?? 0;
    const u2c = this.#spliced?.upstreamToClient ?? 0;
    this.#onDone(this, {
      ...this.#origin,
      bytesIn: (upstream?.bytesWritten ?? 0) + c2u,
      bytesOut: client.bytesWritten + u2c,
      clientReceived: client.bytesRead + c2u,
      upstreamReceived: (upstream?.bytesRead ?? 0) + u2c,
      status: this.#served ? 200 : 502,
      sessionMs: now - this.#started,
      startedAt: this.#started,
      kongMs: (this.#connecting === 0 ? now : this.#connecting) - this.#started,
      tries: streamTries(this.failedTries, this.#connectedTry),
      ...(this.#served ? { forwarding: this.#spliced === undefined ? 'pipe' : 'splice' } : {}),
    });
  }
}
