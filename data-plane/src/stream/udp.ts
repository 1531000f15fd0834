/**
 * UDP on a `stream_listen` entry flagged `udp` (Kong's udp routes and services, nginx's
 * `listen … udp` in Kong's stream block).
 *
 * - **Sessions.** Each client address and port is a session, as nginx's: its first datagram is
 *   routed (protocol `udp`, on sources and destinations, ip-restriction applied) and its service's
 *   peer picked once (the upstream-attempt machine, `../balancer/attempts.ts`); every datagram of
 *   the session goes to that peer from one socket of its own, and every datagram the peer sends
 *   back goes to the client from the listener's socket. The session ends after the service's
 *   read_timeout without a datagram either way (nginx's proxy_timeout), or when the peer refuses
 *   (an ICMP port unreachable), then the stream log line and metrics see it with its bytes.
 * - **Bounds.** At most `maxSessions` sessions per worker (new clients' datagrams are dropped
 *   beyond, with a warning at most every 10 s), and at most `QUEUE_LIMIT` datagrams held per
 *   session while its upstream socket connects. Nothing is answered to a datagram that has no
 *   route: UDP has no error reply.
 * - **Workers.** Each worker binds its own socket with SO_REUSEPORT (`exclusive`, not the cluster
 *   primary's shared handle): Linux hashes a client's address and port to one socket, so a
 *   session stays in one worker.
 * - **Stop.** No new session once stopping; `drain` keeps the sessions (and the listener socket
 *   their replies leave from) until they end or the deadline.
 *
 * A hostname service is reached over IPv4 (its resolution picks the family of the socket).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { isIPv6 } from 'node:net';
import type { Logger, StopMode } from '@turnpike/shared';
import { UpstreamAttempts } from '../balancer/attempts.ts';
import type { HashRequest } from '../balancer/hash-value.ts';
import type { Peer } from '../balancer/peer.ts';
import type { RuntimeSource, ServiceDispatch } from '../runtime/index.ts';
import { guardAllows } from './plugins.ts';
import { matchStream, type StreamKey, type StreamRoute } from './router.ts';
import { type StreamCallDone, type StreamOrigin, type StreamTry, streamTries } from './stream-call.ts';

/** Datagrams held per session while its upstream socket connects. */
const QUEUE_LIMIT = 64;
/** Sessions per worker, by default. */
export const DEFAULT_MAX_UDP_SESSIONS = 10_000;
const WARN_EVERY_MS = 10_000;
/** nginx's proxy_timeout when the service sets no read_timeout. */
const DEFAULT_IDLE_MS = 60_000;
const NO_HEADERS = Object.freeze({});

export interface UdpProxyOptions {
  readonly holder: RuntimeSource;
  readonly log: Logger;
  readonly reusePort: boolean;
  readonly maxSessions?: number;
  readonly onClosed?: (done: StreamCallDone & { readonly route: StreamRoute }) => void;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** One client's session: its upstream socket, its idle timer, its bytes. */
class UdpSession extends UpstreamAttempts {
  readonly #listener: Socket;
  readonly #client: RemoteInfo;
  readonly #dispatch: ServiceDispatch;
  readonly #onDone: (session: UdpSession, done: StreamCallDone) => void;
  readonly #idleMs: number;
  readonly #origin: StreamOrigin;
  /** The attempt that connected (until the peer refused: then it is one of the failed tries). */
  #connectedTry: StreamTry | undefined = undefined;
  readonly #started = Date.now();
  #connecting = 0;
  #received = 0;
  #upstream: Socket | undefined;
  #queue: Buffer[] | undefined = [];
  #lastActive = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #served = false;
  #bytesIn = 0;
  #bytesOut = 0;

  constructor(
    listener: Socket,
    client: RemoteInfo,
    dispatch: ServiceDispatch,
    origin: StreamOrigin,
    onDone: (session: UdpSession, done: StreamCallDone) => void,
  ) {
    super(dispatch);
    this.#origin = origin;
    this.#listener = listener;
    this.#client = client;
    this.#dispatch = dispatch;
    this.#onDone = onDone;
    this.#idleMs = dispatch.readTimeout > 0 ? dispatch.readTimeout : DEFAULT_IDLE_MS;
    this.#arm(this.#idleMs);
  }

  start(): void {
    const request: HashRequest = {
      headers: NO_HEADERS,
      clientIp: unmapped(this.#client.address),
      path: '',
      query: '',
      uriCaptures: undefined,
      consumerId: undefined,
    };
    this.begin(request);
  }

  /** A datagram from the client. */
  forward(datagram: Buffer): void {
    if (this.#closed) return;
    this.#lastActive = Date.now();
    this.#received += datagram.length;
    const queue = this.#queue;
    if (queue !== undefined) {
      if (queue.length < QUEUE_LIMIT) queue.push(datagram);
      return;
    }
    this.#bytesIn += datagram.length;
    this.#upstream?.send(datagram);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.released();
    try {
      this.#upstream?.close();
    } catch {
      // Closed already (an error closed it).
    }
    const now = Date.now();
    this.#onDone(this, {
      ...this.#origin,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      clientReceived: this.#received,
      upstreamReceived: this.#bytesOut,
      status: this.#served ? 200 : 502,
      sessionMs: now - this.#started,
      startedAt: this.#started,
      kongMs: (this.#connecting === 0 ? now : this.#connecting) - this.#started,
      tries: streamTries(this.failedTries, this.#connectedTry),
    });
  }

  protected sendAttempt(peer: Peer | undefined): void {
    if (this.#closed) return;
    const service = this.#dispatch.service;
    const host = peer?.ip ?? service.host;
    const port = peer?.port ?? service.port;
    if (this.#connecting === 0) this.#connecting = Date.now();
    const upstream = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    this.#upstream = upstream;
    const failedBeforeConnect = (err: Error): void => {
      if (this.#upstream === upstream) this.#upstream = undefined;
      upstream.close();
      this.failed(err);
    };
    upstream.once('error', failedBeforeConnect);
    upstream.connect(port, host, () => {
      upstream.off('error', failedBeforeConnect);
      let ip = host;
      try {
        ip = upstream.remoteAddress().address;
      } catch {
        // Closed already: the try keeps the address it was sent to.
      }
      this.#connectedTry = { ip, port };
      // The peer refused (ICMP port unreachable) or the socket failed: the session is over, and
      // this try is a failed one (the attempt machine records it).
      upstream.on('error', (err) => {
        this.#connectedTry = undefined;
        this.failed(err);
      });
      this.connected();
      this.#served = true;
      upstream.on('message', (reply) => {
        if (this.#closed) return;
        this.#lastActive = Date.now();
        this.#bytesOut += reply.length;
        this.#listener.send(reply, this.#client.port, this.#client.address);
      });
      const queue = this.#queue ?? [];
      this.#queue = undefined;
      for (const datagram of queue) {
        this.#bytesIn += datagram.length;
        upstream.send(datagram);
      }
    });
  }

  protected answerFailure(): void {
    this.close();
  }

  /** One timer per session, re-armed for what is left of the idle time when it fires. */
  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const left = this.#lastActive + this.#idleMs - Date.now();
      if (left > 0) this.#arm(left);
      else this.close();
    }, ms);
    this.#timer.unref();
  }
}

export class UdpProxy {
  readonly #options: UdpProxyOptions;
  readonly #sockets: Socket[] = [];
  readonly #sessions = new Map<string, UdpSession>();
  readonly #maxSessions: number;
  #stopping = false;
  #warnedAt = 0;

  constructor(options: UdpProxyOptions) {
    this.#options = options;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_UDP_SESSIONS;
  }

  get active(): number {
    return this.#sessions.size;
  }

  /** Binds one `udp` stream_listen entry; its port. */
  async listen(entry: { readonly host: string; readonly port: number }): Promise<number> {
    const socket = createSocket({
      type: isIPv6(entry.host) ? 'udp6' : 'udp4',
      ...(this.#options.reusePort ? { reusePort: true } : {}),
    });
    socket.on('message', (datagram, client) => this.#received(socket, datagram, client));
    socket.on('error', (err) => this.#options.log.warn({ err: err.message }, 'udp listener error'));
    socket.bind({
      address: entry.host,
      port: entry.port,
      // Each worker its own socket (with SO_REUSEPORT), so the kernel keeps a client on one worker.
      exclusive: true,
    });
    await once(socket, 'listening');
    this.#sockets.push(socket);
    return socket.address().port;
  }

  #received(listener: Socket, datagram: Buffer, client: RemoteInfo): void {
    const key = `${client.address}|${client.port}|${listener.address().port}`;
    const existing = this.#sessions.get(key);
    if (existing !== undefined) {
      existing.forward(datagram);
      return;
    }
    if (this.#stopping) return;
    const { log, holder } = this.#options;
    if (this.#sessions.size >= this.#maxSessions) {
      const now = Date.now();
      if (now - this.#warnedAt > WARN_EVERY_MS) {
        this.#warnedAt = now;
        log.warn(
          { sessions: this.#sessions.size },
          'udp session limit reached: datagrams of new clients dropped',
        );
      }
      return;
    }
    const runtime = holder.current;
    const local = listener.address();
    const streamKey: StreamKey = {
      protocol: 'udp',
      sourceIp: unmapped(client.address),
      sourcePort: client.port,
      destinationIp: unmapped(local.address),
      destinationPort: local.port,
      sni: undefined,
    };
    const found = matchStream(runtime.streams, streamKey);
    if (found?.ipGuard !== undefined && !guardAllows(found.ipGuard, streamKey.sourceIp)) {
      log.debug({ ...streamKey, route: found.route.id }, 'udp datagram refused by ip-restriction');
      return;
    }
    const dispatch = found?.service === undefined ? undefined : runtime.services.get(found.service.id);
    if (found === undefined || dispatch === undefined) {
      log.debug(
        streamKey,
        found === undefined ? 'no stream route matched a udp datagram' : 'udp route has no service to serve',
      );
      return;
    }
    const origin: StreamOrigin = {
      clientIp: streamKey.sourceIp,
      clientPort: client.port,
      serverPort: local.port,
      tls: undefined,
    };
    const session = new UdpSession(listener, client, dispatch, origin, (s, done) => {
      if (this.#sessions.get(key) === s) this.#sessions.delete(key);
      this.#options.onClosed?.({ ...done, route: found });
    });
    this.#sessions.set(key, session);
    session.forward(datagram);
    session.start();
  }

  async stop(mode: StopMode, deadline: number): Promise<void> {
    this.#stopping = true;
    if (mode !== 'now') {
      while (this.#sessions.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    for (const session of [...this.#sessions.values()]) session.close();
    await Promise.all(
      this.#sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))),
    );
  }
}
