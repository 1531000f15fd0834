/**
 * What an HTTP/1.1 call through undici adds to the upstream-attempt machine, for plain requests
 * (forward.ts) and WebSocket handshakes (websocket-call.ts) alike: the plugins' rewrite and access
 * before the first attempt (on routes with a chain), each attempt dispatched to the pool of its
 * peer (or of the service), the dispatch controller, the call given up when its client leaves.
 * How the client is answered is each protocol's own.
 */

import { RequestAbandonedError } from '@turnpike/shared';
import type { Dispatcher } from 'undici';
import { UpstreamAttempts } from '../balancer/attempts.ts';
import type { Peer } from '../balancer/peer.ts';
import type { ChainExit, PluginRun } from '../runtime/index.ts';
import { removeHeader } from './kong-responses.ts';
import type { Prepared } from './prepared.ts';
import type { RequestEntry } from './request-entry.ts';
import type { ResponseHeaderFlags } from './settings.ts';

/** The reason an upstream request is aborted when its client left. */
export const CLIENT_GONE = new RequestAbandonedError('client connection closed');

export abstract class UndiciCall extends UpstreamAttempts implements Dispatcher.DispatchHandler {
  readonly prepared: Prepared;
  controller: Dispatcher.DispatchController | undefined = undefined;
  /** Nothing more is sent to the client from the upstream: answered, abandoned or failed. */
  /** What the access log and the metrics read of the upstream's answer: its status, timings, address. */
  protected recordUpstream(entry: RequestEntry, statusCode: number): void {
    entry.upstreamStatus = statusCode;
    entry.upstreamSentAt = this.sentAt;
    entry.upstreamAnsweredAt = performance.now();
    const peer = this.peer;
    const service = this.prepared.found.service!;
    entry.upstreamAddress =
      peer === undefined ? `${service.host}:${service.port}` : `${peer.ip}:${peer.port}`;
    entry.failedTries = this.failedTries;
  }

  protected finished = false;
  #options: Dispatcher.DispatchOptions | undefined = undefined;

  constructor(prepared: Prepared) {
    super(prepared.dispatch);
    this.prepared = prepared;
  }

  /** Starts the first attempt with these options (every retry sends the same). */
  protected dispatchWith(options: Dispatcher.DispatchOptions): void {
    this.#options = options;
    this.begin(this.prepared);
  }

  protected sendAttempt(peer: Peer | undefined): void {
    this.controller = undefined;
    const dispatcher = this.prepared.dispatcherFor(peer);
    try {
      dispatcher.dispatch(this.#options!, this);
    } catch (err) {
      this.onResponseError(undefined, err as Error);
    }
  }

  /** The client left: the upstream request is let go (its onResponseError then releases the peer). */
  clientClosed(): void {
    if (this.finished) return;
    this.finished = true;
    this.controller?.abort(CLIENT_GONE);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.finished) controller.abort(CLIENT_GONE);
  }

  abstract onResponseError(controller: Dispatcher.DispatchController | undefined, err: Error): void;

  /**
   * The slow path, taken only by routes with plugins: rewrite and access may answer the request
   * themselves; otherwise it goes upstream with what they changed (headers, query, body). The run
   * turns a plugin's throw into a 500 exit; anything else thrown here ends this request only.
   */
  protected runPlugins(run: PluginRun): void {
    let pending: Promise<void> | undefined;
    try {
      pending = run.beforeProxy();
    } catch (err) {
      this.fail(err);
      return;
    }
    // Synchronous plugins (the usual auth chain) are done already: no promise, no tick.
    if (pending === undefined) this.#pluginsDone(run);
    else void this.#awaitPlugins(pending, run);
  }

  async #awaitPlugins(pending: Promise<void>, run: PluginRun): Promise<void> {
    try {
      await pending;
    } catch (err) {
      this.fail(err);
      return;
    }
    this.#pluginsDone(run);
  }

  #pluginsDone(run: PluginRun): void {
    try {
      // The client left while plugins ran (its close ran the log phase): nothing to send.
      if (this.clientGone()) return;
      const exit = run.exit;
      if (exit !== undefined) {
        this.answerExit(exit, run);
        return;
      }
      this.prepared.accessDone(run);
      this.forward(run.upstreamBody);
    } catch (err) {
      this.fail(err);
    }
  }

  /** The client is gone, or was answered: nothing more goes to it. */
  protected abstract clientGone(): boolean;
  /** Sends a plugin's exit (after the plugins' header phase) in the protocol's form. */
  protected abstract answerExit(exit: ChainExit, run: PluginRun): void;
  /** Starts the attempts; `body` is set when a plugin read or replaced the request body. */
  protected abstract forward(body: Buffer | undefined): void;
  /** Ends the request with the proxy's own failure: logged, Kong's 500 or a closed connection. */
  abstract fail(err: unknown): void;

  /**
   * Kong's headers on a proxied response: the hash cookie this request created, the latencies,
   * X-Kong-Upstream-Status (only when `headers` lists it).
   */
  protected addProxyHeaders(headers: string[], flags: ResponseHeaderFlags, statusCode: number): void {
    if (this.hashCookie !== undefined) headers.push('Set-Cookie', this.hashCookie);
    if (flags.upstreamStatus) headers.push('X-Kong-Upstream-Status', String(statusCode));
    const sentAt = this.sentAt;
    if (flags.upstreamLatency) {
      headers.push('X-Kong-Upstream-Latency', String(Math.round(performance.now() - sentAt)));
    }
    if (flags.proxyLatency) {
      headers.push('X-Kong-Proxy-Latency', String(Math.round(sentAt - this.prepared.startedAt)));
    }
  }

  /** X-Kong-Request-Id, after the plugins' header phase: it replaces any a plugin set, as Kong's runloop does. */
  protected addRequestId(headers: string[]): void {
    if (this.prepared.plugins !== undefined) removeHeader(headers, 'x-kong-request-id');
    headers.push('X-Kong-Request-Id', this.prepared.requestId);
  }
}
