/**
 * The stream listeners (Kong's `stream_listen`): raw TCP, and TLS terminated with the
 * certificate of the client's SNI for entries flagged `ssl`. Per connection: what the stream
 * router needs (addresses, ports, SNI), the route, then a StreamCall to the route's service.
 *
 * - On a plain listener, when the configuration has `tls_passthrough` routes, the first bytes are
 *   read (up to `PREREAD_MS`, as nginx's ssl_preread): a TLS ClientHello is routed on its SNI
 *   with protocol `tls_passthrough` and forwarded untouched; anything else is `tcp`. Without
 *   such routes nothing is read ahead, so server-speaks-first protocols work.
 * - On an `ssl` listener, connections are `tls` once the handshake is done.
 * - On a listener flagged `proxy_protocol` (plain only), a PROXY v1/v2 header is read first (within
 *   `PREREAD_MS`, else the connection is closed): from a peer in trusted_ips, its client and
 *   destination addresses are the ones routes (`sources`, `destinations`) and ip-restriction see.
 * - On a listener flagged `udp`, datagrams in sessions per client address (`./udp.ts`).
 * - No route, or a route whose service cannot be served: the connection is closed.
 * - Stopping stops accepting; `drain` lets open connections finish up to the deadline.
 */

import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import {
  createSecureContext,
  createServer as createTlsServer,
  type SecureContext,
  TLSSocket,
} from 'node:tls';
import type { Logger, StopMode, Stoppable } from '@turnpike/shared';
import { tlsOf } from '../plugin-chain/serialize.ts';
import { compileTrustedIps, isTrusted } from '../proxy/client-address.ts';
import type { RuntimeSource } from '../runtime/index.ts';
import { readClientHello } from './client-hello.ts';
import { guardAllows } from './plugins.ts';
import { type ProxiedAddress, readProxyHeader } from './proxy-protocol.ts';
import { matchStream, type StreamKey, type StreamProtocol } from './router.ts';
import { spliceForwarder } from './splice.ts';
import { type ClosedStream, StreamCall, type StreamOrigin } from './stream-call.ts';
import { UdpProxy } from './udp.ts';

/** How long a plain connection's first bytes are waited for when tls_passthrough routes exist. */
export const PREREAD_MS = 1000;
/** A TLS handshake after a PROXY header must end within this (node's tls.Server default). */
const TLS_HANDSHAKE_TIMEOUT_MS = 120_000;

/** `socket` as a Duplex whose first bytes read are `head` (bytes already taken off it). */
function replaying(socket: Socket, head: Buffer): Duplex {
  const stream: Duplex = new Duplex({
    allowHalfOpen: true,
    read: () => {
      socket.resume();
    },
    write: (chunk: Buffer, _encoding, callback) => {
      socket.write(chunk, callback);
    },
    final: (callback) => {
      socket.end(callback);
    },
    destroy: (err, callback) => {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(head);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('close', () => stream.destroy());
  return stream;
}

export interface StreamListenEntry {
  readonly host: string;
  readonly port: number;
  readonly ssl: boolean;
  /** A PROXY protocol header (v1 or v2) comes first: `./proxy-protocol.ts`. */
  readonly proxyProtocol?: boolean;
  /** Datagrams for `udp` routes (`./udp.ts`), not TCP connections. */
  readonly udp?: boolean;
}

export interface StreamTlsOptions {
  readonly cert: string | Buffer | (string | Buffer)[];
  readonly key: string | Buffer | (string | Buffer)[];
  readonly SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
}

export interface StartStreamProxyOptions {
  readonly listen: readonly StreamListenEntry[];
  /** Listen with SO_REUSEPORT (an in-process worker whose successor binds the same ports). */
  readonly reusePort?: boolean;
  readonly holder: RuntimeSource;
  readonly log: Logger;
  /** trusted_ips: a PROXY header's client address is used only from these peers (nginx's set_real_ip_from). */
  readonly trustedIps?: readonly string[];
  /** For `ssl` entries: the default certificate and the SNI callback (certificate entities). */
  readonly tls?: StreamTlsOptions;
  /** Told of every connection that ended (stream metrics, the log phase). */
  readonly onClosed?: (done: ClosedStream) => void;
}

export interface RunningStreamProxy extends Stoppable {
  readonly ports: readonly number[];
  /** Stream connections open now. */
  readonly active: number;
}

interface Proxied {
  readonly source: ProxiedAddress;
  readonly destination: ProxiedAddress;
}

function unmapped(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export async function startStreamProxy(options: StartStreamProxyOptions): Promise<RunningStreamProxy> {
  const { holder, log } = options;
  const calls = new Set<StreamCall>();
  const idle = new Set<Socket>();

  const trusted = compileTrustedIps(options.trustedIps ?? []);
  const route = (
    socket: Socket,
    protocol: StreamProtocol,
    sni: string | undefined,
    head?: Buffer,
    proxied?: Proxied,
  ): void => {
    idle.delete(socket);
    const runtime = holder.current;
    const key: StreamKey = {
      protocol,
      sourceIp: proxied?.source.ip ?? unmapped(socket.remoteAddress),
      sourcePort: proxied?.source.port ?? socket.remotePort ?? 0,
      destinationIp: proxied?.destination.ip ?? unmapped(socket.localAddress),
      destinationPort: proxied?.destination.port ?? socket.localPort ?? 0,
      sni,
    };
    const found = matchStream(runtime.streams, key);
    const dispatch = found?.service === undefined ? undefined : runtime.services.get(found.service.id);
    if (found?.ipGuard !== undefined && !guardAllows(found.ipGuard, key.sourceIp)) {
      log.info({ ...key, route: found.route.id }, 'stream connection refused by ip-restriction');
      socket.destroy();
      return;
    }
    if (found === undefined || dispatch === undefined) {
      log.info(
        { ...key },
        found === undefined ? 'no stream route matched' : 'stream route has no service to serve',
      );
      socket.destroy();
      return;
    }
    if (head !== undefined) socket.unshift(head);
    const origin: StreamOrigin = {
      clientIp: key.sourceIp,
      clientPort: key.sourcePort,
      serverPort: socket.localPort ?? key.destinationPort,
      // Read only for a route whose log entries will serialize it.
      tls:
        protocol === 'tls' && found.logs.length > 0 && socket instanceof TLSSocket
          ? tlsOf(socket)
          : undefined,
    };
    const call = new StreamCall(socket, found, dispatch, log, origin, (c, done) => {
      calls.delete(c);
      options.onClosed?.({ ...done, route: found, protocol });
    });
    calls.add(call);
    call.start();
  };

  /**
   * Reads the PROXY header, then goes on with what followed it: as a plain connection, or (an
   * `ssl proxy_protocol` listener) into the TLS handshake.
   */
  const proxyProtocolThen =
    (next: (socket: Socket, head: Buffer | undefined, proxied: Proxied | undefined) => void) =>
    (socket: Socket): void => {
      idle.add(socket);
      socket.once('close', () => idle.delete(socket));
      socket.on('error', () => socket.destroy());
      let seen: Buffer = Buffer.alloc(0);
      const refuse = (why: string): void => {
        clearTimeout(timer);
        log.info({ peer: unmapped(socket.remoteAddress) }, why);
        socket.destroy();
      };
      const onData = (chunk: Buffer): void => {
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
        const header = readProxyHeader(seen);
        if (header.kind === 'incomplete') return;
        if (header.kind === 'invalid') {
          refuse('stream connection without a valid PROXY protocol header');
          return;
        }
        clearTimeout(timer);
        socket.off('data', onData);
        socket.pause();
        const rest = seen.subarray(header.length);
        // As nginx's realip: the header's addresses count only from a trusted peer.
        const proxied =
          header.source !== undefined &&
          header.destination !== undefined &&
          isTrusted(trusted, unmapped(socket.remoteAddress))
            ? { source: header.source, destination: header.destination }
            : undefined;
        next(socket, rest.length > 0 ? rest : undefined, proxied);
      };
      const timer = setTimeout(() => refuse('no PROXY protocol header in time'), PREREAD_MS);
      socket.on('data', onData);
      socket.resume();
    };

  /** A TLS handshake done: the connection is `tls`, routed on its SNI. */
  const secured = (socket: TLSSocket, proxied?: Proxied): void => {
    socket.on('error', () => socket.destroy());
    const sni = typeof socket.servername === 'string' ? socket.servername.toLowerCase() : undefined;
    route(socket, 'tls', sni, undefined, proxied);
  };

  /**
   * After a PROXY header on an `ssl proxy_protocol` listener: TLS is terminated on the rest of the
   * connection. What the header read already holds (the start of the ClientHello, often in the
   * same segment) goes first, so the TLS socket reads through a stream that replays it.
   */
  const terminateAfterHeader = (
    socket: Socket,
    head: Buffer | undefined,
    proxied: Proxied | undefined,
  ): void => {
    const tls = options.tls;
    if (tls === undefined) {
      socket.destroy();
      return;
    }
    const secure = new TLSSocket(head === undefined ? socket : replaying(socket, head), {
      isServer: true,
      secureContext: createSecureContext({ cert: tls.cert, key: tls.key }),
      ...(tls.SNICallback === undefined ? {} : { SNICallback: tls.SNICallback }),
    });
    const timer = setTimeout(() => secure.destroy(), TLS_HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    secure.on('error', (err: Error) => {
      clearTimeout(timer);
      log.debug({ err: err.message }, 'stream TLS handshake failed');
      secure.destroy();
      socket.destroy();
    });
    secure.once('secure', () => {
      clearTimeout(timer);
      idle.delete(socket);
      secured(secure, proxied);
    });
    socket.resume();
  };

  const proxyProtocol = proxyProtocolThen((socket, head, proxied) => afterHeader(socket, head, proxied));
  const proxyProtocolSsl = proxyProtocolThen(terminateAfterHeader);

  const plain = (socket: Socket): void => {
    idle.add(socket);
    socket.once('close', () => idle.delete(socket));
    socket.on('error', () => socket.destroy());
    afterHeader(socket, undefined, undefined);
  };

  const afterHeader = (socket: Socket, head: Buffer | undefined, proxied: Proxied | undefined): void => {
    const passthrough = holder.current.streams.routes.some((r) => r.protocols.has('tls_passthrough'));
    if (!passthrough) {
      route(socket, 'tcp', undefined, head, proxied);
      return;
    }
    let seen: Buffer = head ?? Buffer.alloc(0);
    const done = (protocol: StreamProtocol, sni: string | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      route(socket, protocol, sni, seen.length > 0 ? seen : undefined, proxied);
    };
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const hello = readClientHello(seen);
      if (hello.kind === 'tls') done('tls_passthrough', hello.sni);
      else if (hello.kind === 'not-tls') done('tcp', undefined);
    };
    const timer = setTimeout(() => done('tcp', undefined), PREREAD_MS);
    if (seen.length > 0) {
      const hello = readClientHello(seen);
      if (hello.kind === 'tls') {
        done('tls_passthrough', hello.sni);
        return;
      }
      if (hello.kind === 'not-tls') {
        done('tcp', undefined);
        return;
      }
    }
    socket.on('data', onData);
    socket.resume();
  };

  const servers: Server[] = [];
  const ports: number[] = [];
  const udp = new UdpProxy({
    holder,
    log,
    reusePort: true,
    onClosed: (done) => options.onClosed?.({ ...done, protocol: 'udp' }),
  });
  try {
    for (const entry of options.listen) {
      if (entry.udp === true) {
        ports.push(await udp.listen(entry));
        continue;
      }
      let server: Server;
      if (entry.ssl && entry.proxyProtocol === true) {
        if (options.tls === undefined) throw new TypeError('an ssl stream listener needs a certificate');
        // The PROXY header comes before the TLS handshake: a plain listener reads it first.
        server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, proxyProtocolSsl);
      } else if (entry.ssl) {
        const tls = options.tls;
        if (tls === undefined) throw new TypeError('an ssl stream listener needs a certificate');
        server = createTlsServer(
          {
            cert: tls.cert,
            key: tls.key,
            allowHalfOpen: true,
            ...(tls.SNICallback === undefined ? {} : { SNICallback: tls.SNICallback }),
          },
          (socket: TLSSocket) => secured(socket),
        );
        server.on('tlsClientError', (err: Error) =>
          log.debug({ err: err.message }, 'stream TLS handshake failed'),
        );
      } else {
        server = createServer(
          { allowHalfOpen: true, pauseOnConnect: true },
          entry.proxyProtocol === true ? proxyProtocol : plain,
        );
      }
      server.listen({
        host: entry.host,
        port: entry.port,
        ...(options.reusePort === true ? { reusePort: true } : {}),
      });
      await once(server, 'listening');
      const address = server.address();
      ports.push(typeof address === 'object' && address !== null ? address.port : entry.port);
      servers.push(server);
    }
  } catch (err) {
    for (const server of servers) server.close();
    await udp.stop('now', 0);
    throw err;
  }
  if (ports.length > 0)
    log.info(
      { ports, forwarding: spliceForwarder() === undefined ? 'pipe' : 'splice' },
      'stream proxy listening',
    );

  return {
    name: 'stream proxy',
    ports,
    get active() {
      return calls.size + udp.active;
    },
    async stop(mode: StopMode, deadline: number): Promise<void> {
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      closed.push(udp.stop(mode, deadline));
      for (const socket of idle) socket.destroy();
      const destroyAll = (): void => {
        for (const call of calls) call.destroy();
      };
      if (mode === 'now') destroyAll();
      else {
        // Drain: open connections go on until they end, or until the deadline.
        const timer = setTimeout(destroyAll, Math.max(0, deadline - Date.now()));
        timer.unref();
        while (calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        clearTimeout(timer);
        destroyAll();
      }
      await Promise.all(closed);
    },
  };
}
