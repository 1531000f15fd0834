/**
 * One proxied request: an undici dispatch handler that streams the client's request into the
 * service's pool and the response back to the client, with backpressure both ways. One object
 * per request holds all its state; the listeners it needs are module functions, not closures.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import {
  BodyTooLargeError,
  type Logger,
  RequestAbandonedError,
  UpstreamWriteTimeoutError,
} from '@turnpike/shared';
import type { Dispatcher } from 'undici';
import type { BalancedRequest } from '../balancer/service-balancer.ts';
import { NO_PEER_BODY } from '../balancer/service-balancer.ts';
import type { PluginRun, ServiceDispatch } from '../runtime/index.ts';
import { classifyUpstreamError, isRetryable } from '../upstream/index.ts';
import { sendKongError, VIA_TOKEN } from './kong-responses.ts';
import { failRequest } from './request-failure.ts';
import { HOP_BY_HOP } from './request-headers.ts';
import type { ResponseHeaderFlags } from './settings.ts';
import { withWriteTimeout } from './write-timeout.ts';

const kCall = Symbol('turnpike.forward');
type ResponseWithCall = ServerResponse & { [kCall]?: ForwardCall };

const INTERESTING_LENGTH = new Uint8Array(32);
for (const name of [...HOP_BY_HOP, 'via']) INTERESTING_LENGTH[name.length] = 1;

const CLIENT_GONE = new RequestAbandonedError('client connection closed');
const ANSWERED_HERE = new RequestAbandonedError('the proxy answered the client itself');

function onClientClose(this: ResponseWithCall): void {
  this[kCall]?.clientClosed();
}

function onClientDrain(this: ResponseWithCall): void {
  this[kCall]?.controller?.resume();
}

/** Connection-named headers of the upstream's response, lowercase; undefined when none. */
function namedInConnection(value: string): Set<string> | undefined {
  let named: Set<string> | undefined;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    named ??= new Set();
    named.add(name);
  }
  return named;
}

/** The client-bound headers: the upstream's minus hop-by-hop, plus Via and latency headers. */
export function clientHeaders(raw: readonly (Buffer | string)[], flags: ResponseHeaderFlags): string[] {
  const out: string[] = [];
  let via: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const value = raw[i + 1]!.toString('latin1');
    if (name.length < 32 && INTERESTING_LENGTH[name.length] === 1) {
      const lower = name.toLowerCase();
      if (lower === 'connection') {
        connection = value;
        continue;
      }
      if (HOP_BY_HOP.has(lower)) continue;
      if (lower === 'via' && flags.via) {
        via = via === undefined ? value : `${via}, ${value}`;
        continue;
      }
    }
    out.push(name, value);
  }
  if (flags.via) out.push('Via', via === undefined ? VIA_TOKEN : `${via}, ${VIA_TOKEN}`);
  if (connection === undefined) return out;
  const named = namedInConnection(connection);
  if (named === undefined) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    if (!named.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!);
  }
  return kept;
}

export interface ForwardRequest {
  readonly path: string;
  readonly method: string;
  readonly headers: string[];
  /** A Buffer when a plugin read or replaced the body. */
  readonly body: Readable | Buffer | null;
  /** Set for a service on an Upstream: picks the peer of each attempt, reports its outcome. */
  readonly balance?: BalancedRequest | undefined;
  /** Set on routes with plugins: their header and body phases see the response. */
  readonly plugins?: PluginRun | undefined;
}

const NO_BYTES = Buffer.alloc(0);

export class ForwardCall implements Dispatcher.DispatchHandler {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly #dispatch: ServiceDispatch;
  readonly #options: Dispatcher.DispatchOptions;
  readonly #flags: ResponseHeaderFlags;
  readonly #startedAt: number;
  readonly #balance: BalancedRequest | undefined;
  readonly #plugins: PluginRun | undefined;
  readonly #log: Logger;
  #sentAt = 0;
  #attempts = 0;
  #bodySent = false;
  #finished = false;
  controller: Dispatcher.DispatchController | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    dispatch: ServiceDispatch,
    request: ForwardRequest,
    flags: ResponseHeaderFlags,
    startedAt: number,
    log: Logger,
  ) {
    this.#log = log;
    this.req = req;
    this.res = res;
    this.#dispatch = dispatch;
    this.#flags = flags;
    this.#startedAt = startedAt;
    this.#balance = request.balance;
    this.#plugins = request.plugins;
    this.#options = {
      path: request.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: withWriteTimeout(request.body, dispatch.writeTimeout),
      headersTimeout: dispatch.readTimeout,
      bodyTimeout: dispatch.readTimeout,
    };
    (res as ResponseWithCall)[kCall] = this;
    res.once('close', onClientClose);
  }

  start(): void {
    this.#attempts++;
    this.#sentAt = performance.now();
    const dispatcher = this.#balance === undefined ? this.#dispatch.dispatcher : this.#balance.next();
    if (dispatcher === undefined) {
      this.#finished = true;
      sendKongError(this.res, 503, this.#flags, this.#startedAt, !this.req.complete, NO_PEER_BODY);
      return;
    }
    try {
      dispatcher.dispatch(this.#options, this);
    } catch (err) {
      this.onResponseError(undefined, err as Error);
    }
  }

  clientClosed(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.controller?.abort(CLIENT_GONE);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.#finished) controller.abort(CLIENT_GONE);
  }

  onBodySent(): void {
    this.#bodySent = true;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number): void {
    const res = this.res;
    if (this.#finished || res.headersSent) return;
    try {
      this.#respond(controller, statusCode);
    } catch (err) {
      // Our own failure (undici would take it for the upstream's and answer 502): this request's only.
      this.#failed(controller, err);
    }
  }

  #respond(controller: Dispatcher.DispatchController, statusCode: number): void {
    const res = this.res;
    const raw = (controller.rawHeaders ?? []) as (Buffer | string)[];
    const headers = clientHeaders(raw, this.#flags);
    const balance = this.#balance;
    if (balance !== undefined) {
      balance.responded(statusCode, performance.now() - this.#sentAt);
      if (balance.setCookie !== undefined) headers.push('Set-Cookie', balance.setCookie);
    }
    const flags = this.#flags;
    if (flags.upstreamLatency) {
      headers.push('X-Kong-Upstream-Latency', String(Math.round(performance.now() - this.#sentAt)));
    }
    if (flags.proxyLatency) {
      headers.push('X-Kong-Proxy-Latency', String(Math.round(this.#sentAt - this.#startedAt)));
    }
    const plugins = this.#plugins;
    if (plugins !== undefined) {
      plugins.header(statusCode, headers);
      // A header phase threw (logged by the chain): Kong's 500 instead of the upstream's answer.
      if (plugins.failed) {
        this.#abandon(controller);
        sendKongError(res, 500, this.#flags, this.#startedAt, !this.req.complete);
        return;
      }
    }
    res.writeHead(statusCode, headers);
  }

  /** Ends this call with our own failure: logged, 500 or a closed connection, the upstream let go. */
  #failed(controller: Dispatcher.DispatchController, err: unknown): void {
    this.#abandon(controller);
    failRequest(this.req, this.res, err, this.#flags, this.#startedAt, this.#log);
  }

  #abandon(controller: Dispatcher.DispatchController): void {
    this.#finished = true;
    this.#balance?.done();
    controller.abort(ANSWERED_HERE);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const plugins = this.#plugins;
    if (plugins?.transformsBody === true) {
      chunk = plugins.body(chunk, false);
      // A body phase threw (logged by the chain) with the headers out: the client sees a broken response.
      if (plugins.failed) {
        this.#abandon(controller);
        this.res.destroy();
        return;
      }
    }
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', onClientDrain);
    }
  }

  onResponseEnd(): void {
    this.#finished = true;
    this.#balance?.done();
    const plugins = this.#plugins;
    if (plugins?.transformsBody === true) {
      const tail = plugins.body(NO_BYTES, true);
      if (plugins.failed) {
        this.res.destroy();
        return;
      }
      if (tail.length > 0) this.res.write(tail);
    }
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#finished) {
      this.#balance?.done();
      return;
    }
    const res = this.res;
    if (res.headersSent) {
      // Part of the response is out: the client must see a broken response, not a short one.
      this.#balance?.done();
      this.#finished = true;
      res.destroy();
      return;
    }
    if (err instanceof BodyTooLargeError) {
      this.#balance?.done();
      this.#finished = true;
      sendKongError(res, 413, this.#flags, this.#startedAt, true);
      return;
    }
    // The upstream failed this attempt: a passive health check counts it, a retry goes elsewhere.
    this.#balance?.failed(err);
    if (!this.#bodySent && this.#attempts <= this.#dispatch.retries && isRetryable(err)) {
      this.controller = undefined;
      this.start();
      return;
    }
    this.#finished = true;
    const status =
      err instanceof UpstreamWriteTimeoutError || classifyUpstreamError(err) === 'timeout' ? 504 : 502;
    // An unread request body would be taken for the next request: close instead.
    sendKongError(res, status, this.#flags, this.#startedAt, !this.req.complete);
  }
}
