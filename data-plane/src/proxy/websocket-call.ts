/**
 * One WebSocket handshake on its way to its service, then its tunnel: the same attempts as a plain
 * request (../balancer/attempts.ts through undici-call.ts: balancer pick per attempt, retries on
 * connect failures, passive reports, 502/503/504), dispatched with `upgrade: 'websocket'`. A 101
 * is relayed and the two sockets piped both ways until either closes or the tunnel stays idle for
 * the service's read_timeout (nginx's proxy_read_timeout holds for WebSocket too); any other
 * answer is relayed and the connection closed; failures get Kong's error raw. One object per
 * handshake; the listeners it needs are module functions, not closures.
 */

import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { FailureStatus } from '../balancer/attempts.ts';
import type { ChainExit, PluginRun } from '../runtime/index.ts';
import { rawKongError } from './kong-responses.ts';
import type { ListenerContext } from './prepare.ts';
import type { Prepared } from './prepared.ts';
import { answerAndClose, noteRawAnswer, rawHead } from './raw-response.ts';
import type { RequestEntry } from './request-entry.ts';
import { failUpgrade } from './request-failure.ts';
import { clientHeaders, switchingHeaders } from './response-headers.ts';
import { UndiciCall } from './undici-call.ts';
import { rawPluginExit, UpgradeRun } from './websocket-plugins.ts';

/** What the handshakes of one listener share: its context, and its open tunnels (a stop closes them). */
export interface UpgradeListener {
  readonly context: ListenerContext;
  readonly tunnels: Set<Duplex>;
}

const kCall = Symbol('turnpike.websocket');
type CallSocket = Duplex & { [kCall]?: WebSocketCall };

function onClientClose(this: CallSocket): void {
  this[kCall]?.clientClosed();
}

function onClientDrain(this: CallSocket): void {
  this[kCall]?.controller?.resume();
}

function onTunnelEnd(this: CallSocket): void {
  this[kCall]?.closeTunnel();
}

export class WebSocketCall extends UndiciCall {
  readonly #client: Duplex;
  /** What the client sent after its handshake (the first frames): for the upstream once switched. */
  readonly #head: Buffer;
  readonly #listener: UpgradeListener;
  #upgrade: UpgradeRun | undefined = undefined;
  /** The client got a response head (101, or the upstream's refusal). */
  #answered = false;
  /** Set while the tunnel is open. */
  #upstream: Duplex | undefined = undefined;

  /** The handshake's access-log / metrics entry, when something observes the proxy. */
  readonly #entry: RequestEntry | undefined;

  constructor(
    prepared: Prepared,
    client: Duplex,
    head: Buffer,
    listener: UpgradeListener,
    entry?: RequestEntry,
  ) {
    super(prepared);
    this.#entry = entry;
    this.#client = client;
    this.#head = head;
    this.#listener = listener;
    (client as CallSocket)[kCall] = this;
    client.once('close', onClientClose);
  }

  /** Runs rewrite and access (when the route has plugins), then the upstream call. Never throws. */
  proceed(): void {
    try {
      const chain = this.prepared.chain;
      if (chain === undefined || chain.empty) {
        this.forward();
        return;
      }
      const upgrade = new UpgradeRun(chain, this.#client, this.prepared);
      this.#upgrade = upgrade;
      this.runPlugins(upgrade.run);
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err: unknown): void {
    this.#upgrade?.answered(500);
    const context = this.#listener.context;
    failUpgrade(
      this.prepared.req,
      this.#client,
      false,
      err,
      context.flags,
      context.log,
      this.prepared.requestId,
    );
  }

  protected forward(): void {
    const dispatch = this.prepared.dispatch;
    this.dispatchWith({
      path: this.prepared.upstreamTarget(),
      method: 'GET',
      headers: this.prepared.upstreamHeaders,
      upgrade: 'websocket',
      headersTimeout: dispatch.readTimeout,
      bodyTimeout: dispatch.readTimeout,
    });
  }

  protected clientGone(): boolean {
    return this.#client.destroyed;
  }

  protected answerExit(exit: ChainExit, run: PluginRun): void {
    const prepared = this.prepared;
    const answer = rawPluginExit(
      exit,
      run,
      this.#listener.context.flags,
      prepared.startedAt,
      prepared.requestId,
    );
    this.#upgrade?.answered(run.failed ? 500 : exit.status);
    answerAndClose(this.#client, answer);
  }

  override clientClosed(): void {
    if (this.#upstream !== undefined) this.closeTunnel();
    else super.clientClosed();
  }

  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    _statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    upstream: Duplex,
  ): void {
    if (this.finished) {
      upstream.destroy();
      return;
    }
    // undici does not catch what this throws: a failure here is this handshake's only.
    try {
      this.#switch(headers, upstream);
    } catch (err) {
      upstream.destroy();
      this.released();
      this.#upgrade?.answered(500);
      const context = this.#listener.context;
      failUpgrade(
        this.prepared.req,
        this.#client,
        this.#answered,
        err,
        context.flags,
        context.log,
        this.prepared.requestId,
      );
      this.finished = true;
    }
  }

  #switch(headers: Record<string, string | string[] | undefined>, upstream: Duplex): void {
    const client = this.#client;
    const flags = this.#listener.context.flags;
    const out = switchingHeaders(headers, flags);
    this.addProxyHeaders(out, flags, 101);
    if (flags.requestId) out.push('X-Kong-Request-Id', this.prepared.requestId);
    // Built (and checked) before anything is written: a value that cannot go out fails cleanly.
    const head = rawHead(101, 'Switching Protocols', out);
    this.#answered = true;
    this.finished = true;
    this.responded(101);
    if (this.#entry !== undefined) this.recordUpstream(this.#entry, 101);
    this.#upgrade?.answered(101);
    noteRawAnswer(client, 101, Buffer.byteLength(head, 'latin1'));
    client.write(head);
    if (this.#head.length > 0) upstream.write(this.#head);
    this.#tunnel(client, upstream);
  }

  #tunnel(client: Duplex, upstream: Duplex): void {
    this.#upstream = upstream;
    this.#listener.tunnels.add(client);
    (upstream as CallSocket)[kCall] = this;
    upstream.on('error', onTunnelEnd);
    upstream.on('close', onTunnelEnd);
    // An idle upstream closes the tunnel; undici hands over the net / tls socket it opened.
    const idle = this.prepared.dispatch.readTimeout;
    if (idle > 0) {
      (upstream as Socket).setTimeout(idle);
      upstream.on('timeout', onTunnelEnd);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Either side closed (or failed, or idled): both go, and the peer holds the request no longer. */
  closeTunnel(): void {
    const upstream = this.#upstream;
    if (upstream === undefined) return;
    this.#upstream = undefined;
    this.released();
    const client = this.#client;
    this.#listener.tunnels.delete(client);
    client.destroy();
    upstream.destroy();
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    _headers: unknown,
    statusMessage?: string,
  ): void {
    if (this.finished) return;
    const raw = (controller.rawHeaders ?? []) as (Buffer | string)[];
    const headers = clientHeaders(raw, this.#listener.context.flags);
    headers.push('Connection', 'close');
    // Throws on a value that cannot go into a raw head: undici then aborts, and onResponseError answers.
    const head = rawHead(statusCode, statusMessage || 'Unknown', headers);
    this.#answered = true;
    this.responded(statusCode);
    if (this.#entry !== undefined) this.recordUpstream(this.#entry, statusCode);
    this.#upgrade?.answered(statusCode);
    noteRawAnswer(this.#client, statusCode, Buffer.byteLength(head, 'latin1'));
    this.#client.write(head);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#client.write(chunk)) {
      controller.pause();
      this.#client.once('drain', onClientDrain);
    }
  }

  onResponseEnd(): void {
    this.finished = true;
    this.released();
    this.#client.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.finished || this.#answered) {
      this.released();
      this.finished = true;
      this.#client.destroy();
      return;
    }
    // The upstream failed this attempt: counted, then retried elsewhere or answered 502/504.
    this.failed(err);
  }

  protected answerFailure(status: FailureStatus, body: Buffer | undefined): void {
    this.finished = true;
    this.#upgrade?.answered(status);
    answerAndClose(
      this.#client,
      rawKongError(status, this.#listener.context.flags, this.prepared.requestId, body),
    );
  }
}
