/**
 * What the access logs and metrics read of one request once it is over: made per request only when
 * something observes the proxy (an access log, the prometheus plugin), filled in as the request goes
 * (the routed request, the upstream's status and timings, the body bytes sent), and handed to the
 * observer when the client's response closes, after the response left. The observer runs there,
 * off the request's own path; its writes are buffered (see `@turnpike/shared/access-log`).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FailedTry } from '../balancer/attempts.ts';
import type { Prepared } from './prepared.ts';

/** Told of every finished request of the listeners it is given to. */
export interface RequestObserver {
  /** A request arrived (before anything else is done with it). */
  requestStarted?(): void;
  requestDone(entry: RequestEntry, req: IncomingMessage, res: ServerResponse): void;
  /**
   * A WebSocket handshake's connection closed: `status` is what the client got (101, a refusal,
   * the service's answer; 499 when it left first), `entry.bodyBytes` what followed the head.
   */
  upgradeDone?(entry: RequestEntry, req: IncomingMessage, status: number): void;
  /** A client connection was accepted by a proxy listener. */
  connectionOpened?(socket: Socket): void;
}

/** nginx's status for a request whose client left before it was answered. */
export const CLIENT_CLOSED = 499;

const NO_FAILED_TRIES: readonly FailedTry[] = Object.freeze([]);

export class RequestEntry {
  readonly requestId: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  readonly observer: RequestObserver;
  /** Bytes of response body sent (nginx's $body_bytes_sent). */
  bodyBytes = 0;
  /** The routed request; undefined when it was refused before routing ended. */
  prepared: Prepared | undefined = undefined;
  /** The upstream's status (0: none answered). */
  upstreamStatus = 0;
  /** When the request was sent upstream (performance.now(); 0: never). */
  upstreamSentAt = 0;
  /** When the upstream's response head arrived (0: never). */
  upstreamAnsweredAt = 0;
  /** `ip:port` of the upstream of the last attempt ('' : none). */
  upstreamAddress = '';
  /** The attempts that failed before (or instead of) the one that answered. */
  failedTries: readonly FailedTry[] = NO_FAILED_TRIES;
  /** performance.now() when the response closed. */
  endedAt = 0;

  constructor(requestId: string, startedAt: number, observer: RequestObserver) {
    this.requestId = requestId;
    this.startedAt = startedAt;
    this.observer = observer;
  }
}

const kEntry = Symbol('turnpike.request-entry');
type ObservedResponse = ServerResponse & { [kEntry]?: RequestEntry };

function onObservedClose(this: ObservedResponse): void {
  const entry = this[kEntry];
  if (entry === undefined) return;
  this[kEntry] = undefined;
  entry.endedAt = performance.now();
  entry.observer.requestDone(entry, this.req, this);
}

/** Follows `res` to its close, then tells the entry's observer. */
export function observeResponse(res: ServerResponse, entry: RequestEntry): void {
  (res as ObservedResponse)[kEntry] = entry;
  res.on('close', onObservedClose);
}

/** The entry of an observed response; undefined when nothing observes the proxy. */
export function entryOf(res: ServerResponse): RequestEntry | undefined {
  return (res as ObservedResponse)[kEntry];
}

/** Counts body bytes the proxy sent itself (its own answers, plugin exits). */
export function bodySent(res: ServerResponse, bytes: number): void {
  const entry = (res as ObservedResponse)[kEntry];
  if (entry !== undefined) entry.bodyBytes += bytes;
}
