/**
 * Request bodies on their way to the service.
 *
 * Buffered (the route's `request_buffering`, Kong's default): the whole body is read before the
 * service is called — in memory up to client_body_buffer_size, then in a temp file under the
 * prefix (nginx's client_body_temp) — so the service never sees a request whose framing later
 * turns out broken (node's parser then refuses the connection: client-error.ts answers it), and a
 * slow client holds no upstream connection. The temp file is unlinked as soon as it is open: it
 * lives exactly as long as its descriptor, which closes when the body was sent or the response
 * closed, so a crashed worker leaves nothing behind.
 *
 * Streamed (`request_buffering = false`): the body goes upstream as it arrives; a body that ends
 * badly (the client leaves, the parser refuses it, client_max_body_size) destroys the stream, so
 * undici aborts the upstream request and the service never sees it complete.
 */

import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, unlink, type WriteStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BodyTooLargeError, RequestAbandonedError } from '@turnpike/shared';
import { BodyLimit } from './body-limit.ts';

export interface BodyBufferSettings {
  /** client_body_buffer_size: bytes held in memory before the body goes to a file. */
  readonly memory: number;
  /** client_max_body_size; 0 means none. */
  readonly max: number;
  /** The folder spilled bodies are written to (it exists: startProxy creates it). */
  readonly tempDir: string;
}

/** A whole body: its bytes, or a stream over the temp file that holds them. */
export type BufferedBody = Buffer | Readable;

/** What waits for a buffered body: told once, unless the client went away first (then never). */
export interface BodyWaiter {
  bodyReady(body: BufferedBody, length: number): void;
  /** 413 past client_max_body_size; 500 when the temp file failed (`error` says why). */
  bodyRefused(status: number, error?: Error): void;
}

const kBuffer = Symbol('turnpike.body-buffer');
type Source = Readable & { [kBuffer]?: BodyBuffer };
type FileWriter = WriteStream & { [kBuffer]?: BodyBuffer };
type ReleasingResponse = ServerResponse & { [kBuffer]?: Readable };

const NO_CHUNKS: Buffer[] = [];

function noop(): void {}

function onData(this: Source, chunk: Buffer): void {
  this[kBuffer]?.data(chunk);
}
function onEnd(this: Source): void {
  this[kBuffer]?.end();
}
function onSourceGone(this: Source): void {
  this[kBuffer]?.abandon();
}
function onWriterDrain(this: FileWriter): void {
  this[kBuffer]?.drained();
}
function onWriterOpen(this: FileWriter, fd: number): void {
  // Unlinked at once: the file lives as long as its descriptor, and no longer.
  unlink(this.path as string, noop);
  this[kBuffer]?.opened(fd);
}
function onWriterError(this: FileWriter, err: Error): void {
  this[kBuffer]?.fileFailed(err);
}
function onWriterFinish(this: FileWriter): void {
  this[kBuffer]?.fileWritten();
}
function onResponseClose(this: ReleasingResponse): void {
  // The body was not (wholly) sent: its stream, and with it the temp file's descriptor, go now.
  this[kBuffer]?.destroy();
  this[kBuffer] = undefined;
}

/** One body being read whole. */
class BodyBuffer {
  readonly #source: Source;
  readonly #res: ServerResponse;
  readonly #settings: BodyBufferSettings;
  readonly #waiter: BodyWaiter;
  #chunks: Buffer[] = [];
  #length = 0;
  #writer: FileWriter | undefined;
  #fd = -1;
  /** The source ended: the body is whole (it may still be on its way to the file). */
  #ended = false;
  #done = false;

  constructor(source: Source, res: ServerResponse, settings: BodyBufferSettings, waiter: BodyWaiter) {
    this.#source = source;
    this.#res = res;
    this.#settings = settings;
    this.#waiter = waiter;
  }

  start(): void {
    const source = this.#source;
    source[kBuffer] = this;
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onSourceGone);
    source.once('aborted', onSourceGone);
    source.once('close', onSourceGone);
  }

  data(chunk: Buffer): void {
    if (this.#done) return;
    this.#length += chunk.length;
    const max = this.#settings.max;
    if (max > 0 && this.#length > max) {
      this.#finish();
      this.#waiter.bodyRefused(413, new BodyTooLargeError('request body exceeds client_max_body_size'));
      return;
    }
    const writer = this.#writer;
    if (writer !== undefined) {
      if (!writer.write(chunk)) this.#source.pause();
      return;
    }
    this.#chunks.push(chunk);
    if (this.#length > this.#settings.memory) this.#spill();
  }

  #spill(): void {
    const path = join(this.#settings.tempDir, randomUUID());
    // w+: the same descriptor is read back once the body is whole; x: never someone else's file.
    const writer: FileWriter = createWriteStream(path, { flags: 'wx+', mode: 0o600, autoClose: false });
    writer[kBuffer] = this;
    writer.once('open', onWriterOpen);
    writer.on('error', onWriterError);
    writer.on('drain', onWriterDrain);
    this.#writer = writer;
    let flowing = true;
    for (const chunk of this.#chunks) flowing = writer.write(chunk);
    this.#chunks = NO_CHUNKS;
    if (!flowing) this.#source.pause();
  }

  opened(fd: number): void {
    this.#fd = fd;
  }

  drained(): void {
    if (!this.#done) this.#source.resume();
  }

  end(): void {
    if (this.#done) return;
    this.#ended = true;
    const writer = this.#writer;
    if (writer !== undefined) {
      writer.once('finish', onWriterFinish);
      writer.end();
      return;
    }
    const chunks = this.#chunks;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#length);
    this.#finish();
    this.#waiter.bodyReady(body, this.#length);
  }

  fileWritten(): void {
    if (this.#done) return;
    this.#done = true;
    this.#detach();
    // The descriptor passes to the reader, which closes it at its end or when destroyed.
    const reader = createReadStream('', { fd: this.#fd, start: 0, autoClose: true });
    this.#writer = undefined;
    const res = this.#res as ReleasingResponse;
    if (res.destroyed) {
      reader.destroy();
      return;
    }
    res[kBuffer] = reader;
    res.once('close', onResponseClose);
    this.#waiter.bodyReady(reader, this.#length);
  }

  fileFailed(err: Error): void {
    if (this.#done) return;
    this.#finish();
    this.#waiter.bodyRefused(500, err);
  }

  /** The client went away (or its parser refused the body) before the end: nobody is told. */
  abandon(): void {
    if (!this.#done && !this.#ended) this.#finish();
  }

  #finish(): void {
    this.#done = true;
    this.#detach();
    this.#chunks = NO_CHUNKS;
    const writer = this.#writer;
    this.#writer = undefined;
    // Closes the descriptor (once open, if it is still opening), which removes the file.
    writer?.destroy();
  }

  #detach(): void {
    const source = this.#source;
    source[kBuffer] = undefined;
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onSourceGone);
    source.off('aborted', onSourceGone);
    source.off('close', onSourceGone);
    // Errors after this point belong to nobody; the connection is being closed anyway.
    source.on('error', noop);
  }
}

/** Reads `source` (the request) whole, then tells `waiter`; see the header of this file. */
export function bufferRequestBody(
  source: Readable,
  res: ServerResponse,
  settings: BodyBufferSettings,
  waiter: BodyWaiter,
): void {
  new BodyBuffer(source, res, settings, waiter).start();
}

const kLimited = Symbol('turnpike.body-limit');
type LimitedSource = Readable & { [kLimited]?: BodyLimit };

function onLimitedSourceFailed(this: LimitedSource): void {
  this[kLimited]?.destroy(new RequestAbandonedError('the client request body ended early'));
}

/**
 * The request as a stream for the service (`request_buffering = false`), counted against
 * client_max_body_size when its length was not known up front. Errors never escape: a source
 * that ends badly destroys the stream undici reads, which aborts the upstream request.
 */
export function streamRequestBody(source: Readable, countAgainst: number): Readable {
  source.on('error', noop);
  if (countAgainst <= 0) return source;
  const limited = new BodyLimit(countAgainst);
  (source as LimitedSource)[kLimited] = limited;
  source.once('aborted', onLimitedSourceFailed);
  source.once('error', onLimitedSourceFailed);
  return source.pipe(limited);
}
