/**
 * One proxied gRPC call (an HTTP/2 request with `Content-Type: application/grpc…`): the plain
 * request's ForwardCall — plugin chain, attempts at the service through the upstream-attempt
 * machine, response streamed back with backpressure — with what gRPC changes:
 *
 * - the request body is always streamed, never buffered: client-streaming and bidirectional
 *   calls send while they receive (pipeline.ts);
 * - the service is reached over HTTP/2 (h2c for `grpc`, ALPN h2 for `grpcs`: upstream/pools.ts),
 *   with `TE: trailers`;
 * - the upstream's trailers (`grpc-status`, `grpc-message`, custom metadata) are passed through;
 * - a deadline the client sent (`grpc-timeout`) shortens the service's read_timeout for this call;
 * - what the proxy answers itself — a plugin's exit, an unreachable or timed-out upstream, its
 *   own failure — is a gRPC status, as Kong's (grpc-responses.ts), not an HTTP error page.
 */

import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from '@turnpike/shared';
import type { Dispatcher } from 'undici';
import type { FailureStatus } from '../balancer/attempts.ts';
import type { ChainExit, PluginRun } from '../runtime/index.ts';
import { ForwardCall } from './forward.ts';
import { GrpcRequestBody } from './grpc-body.ts';
import {
  grpcMessageOf,
  grpcStatusOf,
  sendGrpcPluginExit,
  sendGrpcStatus,
  statusToTrailers,
} from './grpc-responses.ts';
import { grpcTimeoutMs } from './grpc-timeout.ts';
import type { ListenerContext } from './prepare.ts';
import type { Prepared } from './prepared.ts';
import type { ResponseHeaderFlags } from './settings.ts';

type Trailers = Record<string, string | string[] | undefined>;

/** Trailers an HTTP/2 response may not carry (pseudo-headers, framing). */
function forwardableTrailers(
  trailers: Trailers | null | undefined,
): Record<string, string | string[]> | undefined {
  if (trailers === null || trailers === undefined) return undefined;
  let out: Record<string, string | string[]> | undefined;
  for (const name in trailers) {
    const value = trailers[name];
    if (
      value === undefined ||
      name.startsWith(':') ||
      name === 'content-length' ||
      name === 'transfer-encoding'
    )
      continue;
    out ??= {};
    out[name] = value;
  }
  return out;
}

export class GrpcCall extends ForwardCall {
  readonly #flags: ResponseHeaderFlags;
  readonly #log: Logger;
  readonly #maxBodySize: number;

  constructor(prepared: Prepared, res: ServerResponse, listener: ListenerContext) {
    super(prepared, res, listener);
    this.#flags = listener.flags;
    this.#log = listener.log;
    this.#maxBodySize = listener.settings.limits.maxBodySize;
  }

  /** The client's stream written straight to the service's (grpc-body.ts); a plugin's replacement as is. */
  protected override requestBody(replaced: Buffer | undefined): Dispatcher.DispatchOptions['body'] {
    const body = this.body;
    if (replaced !== undefined || body === null || Buffer.isBuffer(body)) return super.requestBody(replaced);
    const prepared = this.prepared;
    const limit = prepared.contentLength < 0 ? this.#maxBodySize : 0;
    // undici takes async iterables as bodies (its types do not say so); the h2 dispatcher pumps it.
    return new GrpcRequestBody(body, limit, prepared.dispatch.writeTimeout) as unknown as Readable;
  }

  /** The upstream call: HTTP/2 to the service, body streamed, deadline honoured. */
  protected override forward(replaced: Buffer | undefined): void {
    const prepared = this.prepared;
    prepared.upstreamHeaders.push('TE', 'trailers');
    const deadline = grpcTimeoutMs(prepared.req.headers['grpc-timeout']);
    const readTimeout = prepared.dispatch.readTimeout;
    const timeout =
      deadline === undefined || (readTimeout > 0 && readTimeout < deadline) ? readTimeout : deadline;
    this.dispatchWith({
      path: prepared.upstreamTarget(),
      method: 'POST',
      headers: prepared.upstreamHeaders,
      body: this.requestBody(replaced),
      headersTimeout: timeout,
      bodyTimeout: prepared.dispatch.readTimeout,
    });
  }

  override onResponseEnd(controller: Dispatcher.DispatchController, trailers?: Trailers | null): void {
    const out = forwardableTrailers(trailers);
    if (out !== undefined && !this.res.destroyed) {
      try {
        this.res.addTrailers(out);
      } catch (err) {
        this.#log.warn({ err, request_id: this.prepared.requestId }, 'gRPC trailers refused');
      }
    }
    super.onResponseEnd(controller, trailers);
  }

  protected override writeHead(statusCode: number, headers: string[]): void {
    statusToTrailers(this.res, headers);
    super.writeHead(statusCode, headers);
  }

  protected override answerExit(exit: ChainExit, run: PluginRun): void {
    const prepared = this.prepared;
    sendGrpcPluginExit(this.res, exit, run, this.#flags, prepared.startedAt, prepared.requestId);
  }

  protected override answerFailure(status: FailureStatus, body: Buffer | undefined): void {
    this.finished = true;
    const res = this.res;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const message =
      body === undefined
        ? grpcMessageOf(status)
        : String((JSON.parse(body.toString()) as { message: unknown }).message);
    const prepared = this.prepared;
    sendGrpcStatus(res, grpcStatusOf(status), message, this.#flags, prepared.startedAt, prepared.requestId);
  }

  override fail(err: unknown): void {
    const res = this.res;
    const prepared = this.prepared;
    this.#log.error({ err, request_id: prepared.requestId, path: prepared.req.url }, 'gRPC request failed');
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    sendGrpcStatus(
      res,
      grpcStatusOf(500),
      grpcMessageOf(500),
      this.#flags,
      prepared.startedAt,
      prepared.requestId,
    );
  }
}
