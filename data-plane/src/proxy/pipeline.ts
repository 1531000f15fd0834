/**
 * The plain request pipeline (node's 'request' event, HTTP/1 and HTTP/2): prepareRequest (limits →
 * router → https redirect → service → upstream headers, shared with WebSocket handshakes), then
 * the request body (buffered or streamed) and the ForwardCall (plugin chain when the route has
 * one, attempts, response). Per request: one Prepared and one ForwardCall.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import type { Logger } from '@turnpike/shared';
import type { RuntimeSource } from '../runtime/index.ts';
import { ForwardCall } from './forward.ts';
import { GrpcCall } from './grpc-call.ts';
import { type ListenerContext, type ListenerInfo, listenerContext, prepareRequest } from './prepare.ts';
import { Refusal, sendRefusal } from './refusal.ts';
import { type BodyBufferSettings, bufferRequestBody, streamRequestBody } from './request-body.ts';
import { observeResponse, RequestEntry, type RequestObserver } from './request-entry.ts';
import { failRequest } from './request-failure.ts';
import { newRequestId } from './request-id.ts';
import type { ProxySettings } from './settings.ts';

export type { ListenerInfo } from './prepare.ts';

export class ProxyPipeline {
  readonly #holder: RuntimeSource;
  readonly #listener: ListenerContext;
  readonly #bodies: BodyBufferSettings;
  readonly #observer: RequestObserver | undefined;

  constructor(
    holder: RuntimeSource,
    settings: ProxySettings,
    listener: ListenerInfo,
    log: Logger,
    observer?: RequestObserver,
  ) {
    this.#holder = holder;
    this.#observer = observer;
    this.#listener = listenerContext(settings, listener, log, false);
    this.#bodies = {
      memory: settings.limits.bodyBufferSize,
      max: settings.limits.maxBodySize,
      tempDir: settings.bodyTempDir ?? tmpdir(),
    };
  }

  /** node's 'request' listener. Whatever it throws ends this request only (request-failure.ts). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const startedAt = performance.now();
    const requestId = newRequestId();
    const observer = this.#observer;
    if (observer !== undefined) {
      observer.requestStarted?.();
      observeResponse(res, new RequestEntry(requestId, startedAt, observer));
    }
    try {
      this.#handle(req, res, startedAt, requestId);
    } catch (err) {
      const listener = this.#listener;
      failRequest(req, res, err, listener.flags, startedAt, requestId, listener.log);
    }
  };

  #handle(req: IncomingMessage, res: ServerResponse, startedAt: number, requestId: string): void {
    const listener = this.#listener;
    // Read once: a swap during this request does not change what it sees.
    const prepared = prepareRequest(req, listener, this.#holder.current, startedAt, requestId);
    if (prepared instanceof Refusal) {
      sendRefusal(req, res, prepared, listener.flags, startedAt, requestId);
      return;
    }
    const call = prepared.grpc
      ? new GrpcCall(prepared, res, listener)
      : new ForwardCall(prepared, res, listener);
    if (!prepared.hasBody) call.proceed(null);
    // gRPC streams both ways at once: a client-streaming call's body never ends before its answer.
    // The client's stream as it is: the call counts it and writes it upstream itself (grpc-body.ts).
    else if (prepared.grpc) call.proceed(streamRequestBody(req, 0));
    else if (prepared.found.route.request_buffering === false) {
      // Streamed as it comes; only a body of unknown length still needs counting.
      const max = listener.settings.limits.maxBodySize;
      call.proceed(streamRequestBody(req, prepared.contentLength < 0 ? max : 0));
    } else bufferRequestBody(req, res, this.#bodies, call);
  }
}
