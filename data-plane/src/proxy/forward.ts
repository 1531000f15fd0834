/**
 * One proxied plain request, from its routing to its response: it waits for a buffered body
 * (request-body.ts), runs the route's plugin chain when there is one, then makes its attempts at
 * the service (../balancer/attempts.ts, through undici: undici-call.ts) and streams the response
 * back through the plugins' header and body phases, with backpressure both ways. One object per
 * request holds all its state; the listeners it needs are module functions, not closures.
 */

import type { ServerResponse } from 'node:http';
import { BodyTooLargeError, RequestAbandonedError, RequestBodyBufferError } from '@turnpike/shared';
import type { Dispatcher } from 'undici';
import type { FailureStatus } from '../balancer/attempts.ts';
import type { ChainExit, PluginRun } from '../runtime/index.ts';
import { sendKongError, sendPluginExit } from './kong-responses.ts';
import type { ListenerContext } from './prepare.ts';
import type { Prepared } from './prepared.ts';
import type { BodyWaiter, BufferedBody } from './request-body.ts';
import { entryOf, type RequestEntry } from './request-entry.ts';
import { failRequest } from './request-failure.ts';
import { clientHeaders } from './response-headers.ts';
import { UndiciCall } from './undici-call.ts';
import { withWriteTimeout } from './write-timeout.ts';

const kCall = Symbol('turnpike.forward');
type ResponseWithCall = ServerResponse & { [kCall]?: ForwardCall };

const ANSWERED_HERE = new RequestAbandonedError('the proxy answered the client itself');
const NO_BYTES = Buffer.alloc(0);

function onClientClose(this: ResponseWithCall): void {
  this[kCall]?.clientClosed();
}

function onClientDrain(this: ResponseWithCall): void {
  this[kCall]?.controller?.resume();
}

export class ForwardCall extends UndiciCall implements BodyWaiter {
  readonly res: ServerResponse;
  readonly #listener: ListenerContext;
  /** The request body as the client sent it (null: none). */
  #body: BufferedBody | null = null;
  /** What an access log or metrics read of this request, when something observes the proxy. */
  readonly #entry: RequestEntry | undefined;

  constructor(prepared: Prepared, res: ServerResponse, listener: ListenerContext) {
    super(prepared);
    this.res = res;
    this.#listener = listener;
    const entry = entryOf(res);
    if (entry !== undefined) entry.prepared = prepared;
    this.#entry = entry;
    (res as ResponseWithCall)[kCall] = this;
    res.once('close', onClientClose);
  }

  /** Runs the chain (when the route has one), then the upstream call. Never throws. */
  proceed(body: BufferedBody | null): void {
    try {
      const chain = this.prepared.chain;
      this.#body = body;
      if (chain === undefined || chain.empty) this.forward(undefined);
      else this.runPlugins(this.prepared.openChain(chain, this.res, body));
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err: unknown): void {
    const prepared = this.prepared;
    failRequest(
      prepared.req,
      this.res,
      err,
      this.#listener.flags,
      prepared.startedAt,
      prepared.requestId,
      this.#listener.log,
    );
  }

  bodyReady(body: BufferedBody, length: number): void {
    const res = this.res;
    // The client left while its body was read (or a parser error was answered): nothing to send.
    if (res.destroyed || res.writableEnded) return;
    const prepared = this.prepared;
    if (prepared.contentLength < 0) prepared.upstreamHeaders.push('Content-Length', String(length));
    this.proceed(body);
  }

  bodyRefused(status: number, error?: Error): void {
    const prepared = this.prepared;
    if (status >= 500) {
      const err = new RequestBodyBufferError('the request body could not be written to its temp file', {
        cause: error,
      });
      this.#listener.log.error(
        { err, request_id: prepared.requestId, path: prepared.req.url },
        'request body refused',
      );
    }
    const res = this.res;
    try {
      if (!res.headersSent && !res.destroyed)
        sendKongError(res, status, this.#listener.flags, prepared.startedAt, prepared.requestId, true);
    } catch (err) {
      this.fail(err);
    }
  }

  /** The upstream call with the request as it now is (plugins may have changed headers, query, body). */
  protected forward(replaced: Buffer | undefined): void {
    const { req, dispatch } = this.prepared;
    this.dispatchWith({
      path: this.prepared.upstreamTarget(),
      method: (this.prepared.upstreamMethod ?? req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: this.prepared.upstreamHeaders,
      body: this.requestBody(replaced),
      headersTimeout: dispatch.readTimeout,
      bodyTimeout: dispatch.readTimeout,
    });
  }

  /** The request body as the client sent it (null: none). */
  protected get body(): BufferedBody | null {
    return this.#body;
  }

  /** The body to send: the plugins' replacement or the client's, under the service's write_timeout. */
  protected requestBody(replaced: Buffer | undefined): Dispatcher.DispatchOptions['body'] {
    return withWriteTimeout(replaced ?? this.#body, this.prepared.dispatch.writeTimeout);
  }

  protected clientGone(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  protected answerExit(exit: ChainExit, run: PluginRun): void {
    const prepared = this.prepared;
    sendPluginExit(
      this.res,
      exit,
      run,
      this.#listener.flags,
      prepared.startedAt,
      prepared.requestId,
      !prepared.req.complete,
    );
  }

  onBodySent(): void {
    this.connected();
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number): void {
    if (this.finished || this.res.headersSent) return;
    try {
      this.#respond(controller, statusCode);
    } catch (err) {
      // Our own failure (undici would take it for the upstream's and answer 502): this request's only.
      this.#abandon(controller);
      this.fail(err);
    }
  }

  #respond(controller: Dispatcher.DispatchController, statusCode: number): void {
    const flags = this.#listener.flags;
    const headers = clientHeaders((controller.rawHeaders ?? []) as (Buffer | string)[], flags);
    this.responded(statusCode);
    const entry = this.#entry;
    if (entry !== undefined) this.recordUpstream(entry, statusCode);
    this.addProxyHeaders(headers, flags, statusCode);
    const plugins = this.prepared.plugins;
    if (plugins !== undefined) {
      plugins.header(statusCode, headers);
      // A header phase threw (logged by the chain): Kong's 500 instead of the upstream's answer.
      if (plugins.failed) {
        this.#abandon(controller);
        const prepared = this.prepared;
        sendKongError(this.res, 500, flags, prepared.startedAt, prepared.requestId, !prepared.req.complete);
        return;
      }
    }
    if (flags.requestId) this.addRequestId(headers);
    const replaced = plugins?.headerExitStatus;
    if (replaced !== undefined) {
      // A header phase answered (response-ratelimiting's 429): its status, no body, upstream let go.
      this.#abandon(controller);
      this.res.writeHead(replaced, headers);
      this.res.end();
      return;
    }
    this.writeHead(statusCode, headers);
  }

  /** Sends the response head to the client (gRPC moves a trailers-only answer's status to trailers). */
  protected writeHead(statusCode: number, headers: string[]): void {
    this.res.writeHead(statusCode, headers);
  }

  /** Lets the upstream go: the proxy answers (or has answered) the client itself. */
  #abandon(controller: Dispatcher.DispatchController): void {
    this.finished = true;
    this.released();
    controller.abort(ANSWERED_HERE);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const plugins = this.prepared.plugins;
    if (plugins?.transformsBody === true) {
      chunk = plugins.body(chunk, false);
      // A body phase threw (logged by the chain) with the headers out: the client sees a broken response.
      if (plugins.failed) {
        this.#abandon(controller);
        this.res.destroy();
        return;
      }
    }
    if (this.#entry !== undefined) this.#entry.bodyBytes += chunk.length;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', onClientDrain);
    }
  }

  onResponseEnd(
    _controller?: Dispatcher.DispatchController,
    trailers?: Record<string, unknown> | null,
  ): void {
    this.finished = true;
    this.released();
    const plugins = this.prepared.plugins;
    if (plugins?.transformsBody === true) {
      // The upstream's trailers go to the last body call (grpc-web writes them into the body).
      const tail = plugins.body(NO_BYTES, true, trailers);
      if (plugins.failed) {
        this.res.destroy();
        return;
      }
      if (tail.length > 0) {
        if (this.#entry !== undefined) this.#entry.bodyBytes += tail.length;
        this.res.write(tail);
      }
    }
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.finished) {
      this.released();
      return;
    }
    const res = this.res;
    if (res.headersSent) {
      // Part of the response is out: the client must see a broken response, not a short one.
      this.finished = true;
      this.released();
      res.destroy();
      return;
    }
    if (err instanceof BodyTooLargeError) {
      this.finished = true;
      this.released();
      sendKongError(res, 413, this.#listener.flags, this.prepared.startedAt, this.prepared.requestId, true);
      return;
    }
    // The upstream failed this attempt: counted, then retried elsewhere or answered 502/504.
    this.failed(err);
  }

  protected answerFailure(status: FailureStatus, body: Buffer | undefined): void {
    this.finished = true;
    if (this.#entry !== undefined) this.#entry.failedTries = this.failedTries;
    // An unread request body would be taken for the next request: close instead.
    const prepared = this.prepared;
    sendKongError(
      this.res,
      status,
      this.#listener.flags,
      prepared.startedAt,
      prepared.requestId,
      !prepared.req.complete,
      body,
    );
  }
}
