/**
 * WebSocket proxying: node's 'upgrade' event. The handshake passes the same limits and checks as
 * any request, is routed as any request, then goes to the service through its undici dispatcher
 * with `upgrade: 'websocket'` (so the balancer's target choice, connect timeout, TLS and retries
 * apply as for plain requests). A 101 is relayed and the two sockets are piped both ways; any
 * other answer is relayed and the connection closed; failures get Kong's 502/504 body raw.
 * On a route with plugins, rewrite and access run first (websocket-plugins.ts).
 */

import type { IncomingMessage } from 'node:http';
import type { BlockList, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { type Logger, RequestAbandonedError } from '@turnpike/shared';
import type { Dispatcher } from 'undici';
import { type BalancedRequest, NO_PEER_BODY } from '../balancer/service-balancer.ts';
import { type Match, match } from '../router/index.ts';
import type { PluginChain, RuntimeSource, ServiceDispatch } from '../runtime/index.ts';
import { classifyUpstreamError, isRetryable } from '../upstream/index.ts';
import { compileTrustedIps, peerOf, realClientAddress } from './client-address.ts';
import { answerAfterPending, hasPendingResponse } from './client-error.ts';
import { clientHeaders } from './forward.ts';
import { appendForwardedHeaders, hostName, hostValueIndex } from './forwarded-headers.ts';
import { rawKongError, rawNoRoute, VIA_TOKEN } from './kong-responses.ts';
import type { ListenerInfo } from './pipeline.ts';
import { rawHead } from './raw-response.ts';
import { failUpgrade } from './request-failure.ts';
import { RequestHeaderScanner } from './request-headers.ts';
import { requestLineStatus } from './request-line.ts';
import type { ProxySettings, ResponseHeaderFlags } from './settings.ts';
import { handshakeStatus, upgradeAcceptance } from './websocket-handshake.ts';
import { openUpgradeRun, rawPluginExit, type UpgradeRun } from './websocket-plugins.ts';

const NO_HEADERS = Object.freeze({});
const CLIENT_GONE = new RequestAbandonedError('client connection closed');

function answerAndClose(socket: Duplex, response: string | Buffer): void {
  if (socket.writable) socket.end(response);
  else socket.destroy();
}

/** The 101's headers as the upstream sent them, with Kong's Via and latency headers added. */
function switchingHeaders(
  headers: Record<string, string | string[] | undefined>,
  flags: ResponseHeaderFlags,
  upstreamLatency: number,
  proxyLatency: number,
): string[] {
  const out: string[] = [];
  let via: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (name === 'via' && flags.via) {
      via = Array.isArray(value) ? value.join(', ') : value;
      continue;
    }
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  if (flags.via) out.push('Via', via === undefined ? VIA_TOKEN : `${via}, ${VIA_TOKEN}`);
  if (flags.upstreamLatency) out.push('X-Kong-Upstream-Latency', String(upstreamLatency));
  if (flags.proxyLatency) out.push('X-Kong-Proxy-Latency', String(proxyLatency));
  return out;
}

/** Answers node's 'upgrade' events of one listener. */
export class WebSocketProxy {
  readonly #holder: RuntimeSource;
  readonly #settings: ProxySettings;
  readonly #https: boolean;
  readonly #scheme: 'http' | 'https';
  readonly #port: string;
  readonly #scanner: RequestHeaderScanner;
  readonly #trusted: BlockList | undefined;
  readonly #log: Logger;
  /** Open tunnels (client sockets), so that a stop can close them: node no longer tracks them. */
  readonly tunnels = new Set<Duplex>();

  constructor(holder: RuntimeSource, settings: ProxySettings, listener: ListenerInfo, log: Logger) {
    this.#log = log;
    this.#holder = holder;
    this.#settings = settings;
    this.#https = listener.https;
    this.#scheme = listener.https ? 'https' : 'http';
    this.#port = String(listener.port);
    this.#scanner = new RequestHeaderScanner(settings.realIpHeader, settings.limits.maxHeaderSize);
    this.#trusted = compileTrustedIps(settings.trustedIps);
  }

  /** node's 'upgrade' listener. Whatever it throws ends this handshake only (request-failure.ts). */
  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', destroySelf);
    // A handshake pipelined behind a request still being answered: its 101 could not come in
    // order, so it is refused (400, once the earlier answers are out).
    if (hasPendingResponse(socket)) {
      answerAfterPending(socket, rawKongError(400, this.#settings.headers));
      return;
    }
    try {
      const outcome = this.#prepare(req);
      if (typeof outcome === 'string') {
        answerAndClose(socket, outcome);
        return;
      }
      const chain = outcome.chain;
      if (chain === undefined || chain.empty) {
        this.#call(outcome, req, socket, head, undefined).start();
        return;
      }
      void this.#withPlugins(chain, outcome, req, socket, head);
    } catch (err) {
      failUpgrade(req, socket, false, err, this.#settings.headers, this.#log);
    }
  };

  /**
   * The slow path, taken only by routes with plugins: rewrite and access may answer the handshake
   * themselves; otherwise it goes upstream with what they changed (headers, query).
   */
  async #withPlugins(
    chain: PluginChain,
    handshake: Handshake,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const found = handshake.found;
    const headers = handshake.headers;
    let plugins: UpgradeRun | undefined;
    try {
      plugins = openUpgradeRun(chain, socket, {
        req,
        match: found,
        scheme: this.#scheme,
        clientIp: handshake.client,
        path: handshake.path,
        query: handshake.query,
        upstreamHeaders: headers,
      });
      const run = plugins.run;
      // The run turns a plugin's throw into a 500 exit; anything else thrown here ends this handshake only.
      await run.beforeProxy();
      // The client left while plugins ran: its close already ran the log phase.
      if (socket.destroyed) return;
      const exit = run.exit;
      if (exit !== undefined) {
        const answer = rawPluginExit(exit, run, this.#settings.headers, handshake.startedAt);
        plugins.answered(run.failed ? 500 : exit.status);
        answerAndClose(socket, answer);
        return;
      }
      if (hostValueIndex(headers) === -1) headers.push('Host', found.upstreamHost ?? found.service!.host);
      const query = run.upstreamQuery;
      // An unchanged query keeps its '?' as received, even an empty one (Kong's is_args).
      const search = query === handshake.query ? handshake.search : query === '' ? '' : `?${query}`;
      const edited = { ...handshake, query, search, hostIndex: hostValueIndex(headers) };
      this.#call(edited, req, socket, head, plugins).start();
    } catch (err) {
      plugins?.answered(500);
      failUpgrade(req, socket, false, err, this.#settings.headers, this.#log);
    }
  }

  /** The handshake's call through the service's dispatcher (and balancer). */
  #call(
    handshake: Handshake,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    plugins: UpgradeRun | undefined,
  ): WebSocketCall {
    const { found, dispatch, headers, query } = handshake;
    const target = found.upstreamPath + handshake.search;
    // A service on an Upstream: the target (and Host) is picked per attempt, as for plain requests.
    const balance = dispatch.balancer?.request(
      req,
      handshake.client,
      found.path,
      query,
      found.uriCaptures,
      headers,
      handshake.hostIndex,
      found.route.preserve_host === true,
    );
    const request = { path: target, headers, balance };
    const flags = this.#settings.headers;
    return new WebSocketCall(
      req,
      socket,
      head,
      dispatch,
      request,
      flags,
      handshake.startedAt,
      this.tunnels,
      plugins,
      this.#log,
    );
  }

  /** The routed handshake, or the raw response refusing it. */
  #prepare(req: IncomingMessage): Handshake | string {
    const startedAt = performance.now();
    const runtime = this.#holder.current;
    const settings = this.#settings;
    const flags = settings.headers;
    const limits = settings.limits;
    const url = req.url ?? '';
    const raw = req.rawHeaders;
    // Upgrades come over HTTP/1 only: a request line claiming HTTP/2.0 is refused here as in the pipeline.
    const refused = requestLineStatus(url, raw, limits, req.httpVersionMajor, false);
    if (refused !== 0) return rawKongError(refused, flags);
    const scanned = this.#scanner.scan(raw);
    if (scanned.status !== 0) return rawKongError(scanned.status, flags);
    const bad = handshakeStatus(req, scanned.contentLength, scanned.chunked);
    if (bad !== 0) return rawKongError(bad, flags);

    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const found = match(runtime.router, {
      method: 'GET',
      scheme: this.#scheme,
      host: scanned.host,
      path,
      headers: runtime.matchesHeaders ? req.headersDistinct : NO_HEADERS,
      sni: this.#https ? (req.socket as TLSSocket).servername || undefined : undefined,
    });
    if (found === undefined) return rawNoRoute(flags);

    const peer = peerOf(req.socket, this.#trusted);
    const trusted = peer.trusted;
    const forwardedProto = (trusted ? scanned.forwardedProto : undefined) ?? this.#scheme;
    const acceptance = upgradeAcceptance(found.route.protocols, forwardedProto === 'https');
    if (acceptance === 'https') return rawKongError(426, flags);
    if (acceptance === 'no') return rawNoRoute(flags);
    const dispatch = found.service === undefined ? undefined : runtime.services.get(found.service.id);
    if (dispatch === undefined) return rawKongError(503, flags);

    const client = realClientAddress(peer, scanned.realIp, this.#trusted, settings.realIpRecursive);
    const hostIndex = appendForwardedHeaders(scanned, found, {
      peer,
      client,
      proto: forwardedProto,
      host:
        (trusted ? scanned.forwardedHost : undefined) ??
        hostName(scanned.host, req.socket.localAddress ?? ''),
      port: this.#port,
      path,
    });
    return {
      found,
      dispatch,
      chain: runtime.chains.get(found.route.id),
      headers: scanned.forward,
      hostIndex,
      path,
      query: query === -1 ? '' : url.slice(query + 1),
      search: query === -1 ? '' : url.slice(query),
      client,
      startedAt,
    };
  }
}

/** A handshake routed to a service: what the plugins and the upstream call work from. */
interface Handshake {
  readonly found: Match;
  readonly dispatch: ServiceDispatch;
  readonly chain: PluginChain | undefined;
  /** The headers for the service, flat `[name, value, …]` (plugins edit them in place). */
  readonly headers: string[];
  /** Where the Host value is in `headers`. */
  readonly hostIndex: number;
  /** The request path as received, without the query string. */
  readonly path: string;
  /** The query string to forward, without '?'. */
  readonly query: string;
  /** What follows the path upstream: '' or '?' and the query. */
  readonly search: string;
  readonly client: string;
  readonly startedAt: number;
}

function destroySelf(this: Duplex): void {
  this.destroy();
}

/** One handshake through the service's dispatcher, then the tunnel. */
interface UpgradeRequest {
  readonly path: string;
  readonly headers: string[];
  readonly balance: BalancedRequest | undefined;
}

class WebSocketCall implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #log: Logger;
  readonly #client: Duplex;
  readonly #balance: BalancedRequest | undefined;
  readonly #head: Buffer;
  readonly #dispatch: ServiceDispatch;
  readonly #options: Dispatcher.DispatchOptions;
  readonly #flags: ResponseHeaderFlags;
  readonly #startedAt: number;
  readonly #tunnels: Set<Duplex>;
  readonly #plugins: UpgradeRun | undefined;
  #sentAt = 0;
  #attempts = 0;
  #answered = false;
  #finished = false;
  #controller: Dispatcher.DispatchController | undefined;

  constructor(
    req: IncomingMessage,
    client: Duplex,
    head: Buffer,
    dispatch: ServiceDispatch,
    request: UpgradeRequest,
    flags: ResponseHeaderFlags,
    startedAt: number,
    tunnels: Set<Duplex>,
    plugins: UpgradeRun | undefined,
    log: Logger,
  ) {
    this.#req = req;
    this.#log = log;
    this.#client = client;
    this.#plugins = plugins;
    this.#head = head;
    this.#dispatch = dispatch;
    this.#flags = flags;
    this.#startedAt = startedAt;
    this.#tunnels = tunnels;
    this.#balance = request.balance;
    this.#options = {
      path: request.path,
      method: 'GET',
      headers: request.headers,
      upgrade: 'websocket',
      headersTimeout: dispatch.readTimeout,
      bodyTimeout: dispatch.readTimeout,
    };
    client.once('close', () => {
      if (this.#finished) return;
      this.#finished = true;
      this.#controller?.abort(CLIENT_GONE);
    });
  }

  start(): void {
    this.#attempts++;
    this.#sentAt = performance.now();
    const dispatcher = this.#balance === undefined ? this.#dispatch.dispatcher : this.#balance.next();
    if (dispatcher === undefined) {
      this.#finished = true;
      this.#plugins?.answered(503);
      answerAndClose(this.#client, rawKongError(503, this.#flags, NO_PEER_BODY));
      return;
    }
    try {
      dispatcher.dispatch(this.#options, this);
    } catch (err) {
      this.onResponseError(undefined, err as Error);
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#finished) controller.abort(CLIENT_GONE);
  }

  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    _statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    upstream: Duplex,
  ): void {
    if (this.#finished) {
      upstream.destroy();
      return;
    }
    // undici does not catch what this throws: a failure here is this handshake's only.
    try {
      this.#switch(headers, upstream);
    } catch (err) {
      upstream.destroy();
      this.#balance?.done();
      this.#plugins?.answered(500);
      failUpgrade(this.#req, this.#client, this.#answered, err, this.#flags, this.#log);
      this.#finished = true;
    }
  }

  #switch(headers: Record<string, string | string[] | undefined>, upstream: Duplex): void {
    const client = this.#client;
    const out = switchingHeaders(
      headers,
      this.#flags,
      Math.round(performance.now() - this.#sentAt),
      Math.round(this.#sentAt - this.#startedAt),
    );
    // Built (and checked) before anything is written: a value that cannot go out fails cleanly.
    const head = rawHead(101, 'Switching Protocols', out);
    this.#answered = true;
    this.#finished = true;
    this.#balance?.responded(101, performance.now() - this.#sentAt);
    this.#plugins?.answered(101);
    client.write(head);
    if (this.#head.length > 0) upstream.write(this.#head);
    this.#tunnel(client, upstream);
  }

  #tunnel(client: Duplex, upstream: Duplex): void {
    const tunnels = this.#tunnels;
    tunnels.add(client);
    const balance = this.#balance;
    const close = (): void => {
      // The tunnel held the target's connection until now (least-connections counts it).
      balance?.done();
      tunnels.delete(client);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', close);
    upstream.on('close', close);
    client.on('close', close);
    // nginx's proxy_read_timeout holds for WebSocket too: an idle upstream closes the tunnel.
    const idle = this.#dispatch.readTimeout;
    // undici hands over the net / tls socket it opened.
    if (idle > 0) (upstream as Socket).setTimeout(idle, close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    _headers: unknown,
    statusMessage?: string,
  ): void {
    if (this.#finished) return;
    const raw = (controller.rawHeaders ?? []) as (Buffer | string)[];
    const headers = clientHeaders(raw, this.#flags);
    headers.push('Connection', 'close');
    // Throws on a value that cannot go into a raw head: undici then aborts, and onResponseError answers.
    const head = rawHead(statusCode, statusMessage || 'Unknown', headers);
    this.#answered = true;
    this.#balance?.responded(statusCode, performance.now() - this.#sentAt);
    this.#plugins?.answered(statusCode);
    this.#client.write(head);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#client.write(chunk)) {
      controller.pause();
      this.#client.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.#finished = true;
    this.#balance?.done();
    this.#client.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#finished || this.#answered) {
      this.#balance?.done();
      this.#finished = true;
      this.#client.destroy();
      return;
    }
    this.#balance?.failed(err);
    if (this.#attempts <= this.#dispatch.retries && isRetryable(err)) {
      this.#controller = undefined;
      this.start();
      return;
    }
    this.#finished = true;
    this.#balance?.done();
    const status = classifyUpstreamError(err) === 'timeout' ? 504 : 502;
    this.#plugins?.answered(status);
    answerAndClose(this.#client, rawKongError(status, this.#flags));
  }
}
