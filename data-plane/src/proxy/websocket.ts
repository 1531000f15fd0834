/**
 * WebSocket proxying: node's 'upgrade' event. A handshake takes the plain request's road —
 * prepareRequest (the same limits, checks and routing, then handshakeStatus and the route's
 * protocols), the plugins' rewrite and access, the same attempts at the service — with a raw
 * socket instead of a ServerResponse: websocket-call.ts relays the 101 and pipes the tunnel.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@turnpike/shared';
import type { RuntimeSource } from '../runtime/index.ts';
import { answerAfterPending, hasPendingResponse } from './client-error.ts';
import { rawKongError } from './kong-responses.ts';
import { type ListenerContext, type ListenerInfo, listenerContext, prepareRequest } from './prepare.ts';
import { answerAndClose, rawAnswerOf } from './raw-response.ts';
import { Refusal, rawRefusal } from './refusal.ts';
import { CLIENT_CLOSED, RequestEntry, type RequestObserver } from './request-entry.ts';
import { failUpgrade } from './request-failure.ts';
import { newRequestId } from './request-id.ts';
import type { ProxySettings } from './settings.ts';
import { type UpgradeListener, WebSocketCall } from './websocket-call.ts';

function destroySelf(this: Duplex): void {
  this.destroy();
}

/** Answers node's 'upgrade' events of one listener. */
export class WebSocketProxy implements UpgradeListener {
  readonly #holder: RuntimeSource;
  readonly context: ListenerContext;
  /** Open tunnels (client sockets), so that a stop can close them: node no longer tracks them. */
  readonly tunnels = new Set<Duplex>();
  readonly #observer: RequestObserver | undefined;

  constructor(
    holder: RuntimeSource,
    settings: ProxySettings,
    listener: ListenerInfo,
    log: Logger,
    observer?: RequestObserver,
  ) {
    this.#holder = holder;
    this.context = listenerContext(settings, listener, log, true);
    this.#observer = observer;
  }

  /** Tells the observer (access log, metrics) of the handshake once its connection closed. */
  #observe(
    req: IncomingMessage,
    socket: Duplex,
    requestId: string,
    startedAt: number,
  ): RequestEntry | undefined {
    const observer = this.#observer;
    if (observer?.upgradeDone === undefined) return undefined;
    observer.requestStarted?.();
    const entry = new RequestEntry(requestId, startedAt, observer);
    socket.once('close', () => {
      entry.endedAt = performance.now();
      const answer = rawAnswerOf(socket);
      const written = (socket as { bytesWritten?: number }).bytesWritten ?? 0;
      entry.bodyBytes = answer === undefined ? 0 : Math.max(0, written - answer.headBytes);
      observer.upgradeDone?.(entry, req, answer?.status ?? CLIENT_CLOSED);
    });
    return entry;
  }

  /** node's 'upgrade' listener. Whatever it throws ends this handshake only (request-failure.ts). */
  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', destroySelf);
    const context = this.context;
    // A handshake pipelined behind a request still being answered: its 101 could not come in
    // order, so it is refused (400, once the earlier answers are out).
    if (hasPendingResponse(socket)) {
      answerAfterPending(socket, rawKongError(400, context.flags, newRequestId()));
      return;
    }
    const requestId = newRequestId();
    const startedAt = performance.now();
    const entry = this.#observe(req, socket, requestId, startedAt);
    try {
      const prepared = prepareRequest(req, context, this.#holder.current, startedAt, requestId);
      if (entry !== undefined && !(prepared instanceof Refusal)) entry.prepared = prepared;
      if (prepared instanceof Refusal) {
        answerAndClose(socket, rawRefusal(prepared, context.flags, requestId));
        return;
      }
      new WebSocketCall(prepared, socket, head, this, entry).proceed();
    } catch (err) {
      failUpgrade(req, socket, false, err, context.flags, context.log, requestId);
    }
  };
}
