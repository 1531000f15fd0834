/**
 * A gRPC call's request body on its way to the service: the client's stream written straight to
 * the upstream HTTP/2 stream (`pump`, what upstream/h2-dispatcher.ts calls), chunk by chunk with
 * backpressure, counted against client_max_body_size when its length was not announced, under
 * the service's write_timeout. The same rules as a streamed plain body (request-body.ts
 * BodyLimit, write-timeout.ts WriteTimeout) without their two Transforms and three pipes per
 * call: a unary call's few bytes went through all of them.
 *
 * The write_timeout clock runs while the upstream stream refuses more (write() returned false)
 * and stops at its 'drain', as WriteTimeout's runs while bytes wait for the upstream side.
 * Any other dispatcher (an undici Pool: a gRPC request on an http service) iterates it, which
 * gives it the piped streams as before.
 */

import type { Readable, Writable } from 'node:stream';
import { BodyTooLargeError, RequestAbandonedError, UpstreamWriteTimeoutError } from '@turnpike/shared';
import type { PumpableBody } from '../upstream/h2-dispatcher.ts';
import { streamRequestBody } from './request-body.ts';
import { withWriteTimeout } from './write-timeout.ts';

export class GrpcRequestBody implements PumpableBody, AsyncIterable<Buffer> {
  readonly #source: Readable;
  /** Bytes allowed (0: none counted: the length was announced and checked). */
  readonly #limit: number;
  readonly #writeTimeoutMs: number;

  constructor(source: Readable, limit: number, writeTimeoutMs: number) {
    this.#source = source;
    this.#limit = limit;
    this.#writeTimeoutMs = writeTimeoutMs;
  }

  pump(sink: Writable, fail: (err: Error) => void): void {
    // Read from the HTTP/2 stream under node's compat request: its chunks are pushed from there
    // into a second Readable (the request) otherwise. Nothing else reads the request once the
    // body is on its way (a plugin that replaces the body hands a Buffer instead).
    const source = (this.#source as { stream?: Readable }).stream ?? this.#source;
    const limit = this.#limit;
    const ms = this.#writeTimeoutMs;
    let seen = 0;
    let timer: NodeJS.Timeout | undefined;
    const stopClock = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const detach = (): void => {
      stopClock();
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('aborted', onGone);
      source.off('error', onGone);
      sink.off('drain', onDrain);
      sink.off('close', detach);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (limit > 0 && seen > limit) {
        detach();
        fail(new BodyTooLargeError('request body exceeds client_max_body_size'));
        return;
      }
      if (sink.write(chunk)) return;
      source.pause();
      if (ms > 0 && timer === undefined)
        timer = setTimeout(() => {
          detach();
          fail(new UpstreamWriteTimeoutError(`the upstream read no request body for ${ms} ms`));
        }, ms);
    };
    const onDrain = (): void => {
      stopClock();
      source.resume();
    };
    const onEnd = (): void => {
      detach();
      sink.end();
    };
    const onGone = (): void => {
      detach();
      fail(new RequestAbandonedError('the client request body ended early'));
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('aborted', onGone);
    source.once('error', onGone);
    sink.on('drain', onDrain);
    sink.once('close', detach);
  }

  /** For dispatchers that take an iterable body: the piped, guarded stream. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const stream = withWriteTimeout(streamRequestBody(this.#source, this.#limit), this.#writeTimeoutMs);
    return (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
}
