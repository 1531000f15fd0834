import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { UpstreamWriteTimeoutError } from '@turnpike/shared';

/**
 * The service's `write_timeout` (nginx's proxy_send_timeout): the longest the upstream may leave
 * body bytes unread. The clock runs only while bytes wait for the upstream — a client that is
 * slow to send is not the upstream's fault — and each read by the upstream side restarts it.
 */
export class WriteTimeout extends Transform {
  readonly #ms: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    super();
    this.#ms = ms;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, chunk);
    // Still buffered after the push: the upstream side is not reading.
    if (this.readableLength > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.destroy(new UpstreamWriteTimeoutError(`the upstream read no request body for ${this.#ms} ms`));
      }, this.#ms);
    }
  }

  override _read(size: number): void {
    // The upstream side asks for more: progress.
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    super._read(size);
  }

  override _flush(callback: TransformCallback): void {
    this.#clear();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clear();
    callback(error);
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function noop(): void {}

/** A streamed request body guarded by write_timeout; buffers and empty bodies need no guard. */
export function withWriteTimeout<B>(body: B, ms: number): B | Readable {
  if (body === null || Buffer.isBuffer(body) || ms <= 0) return body;
  const source = body as unknown as Readable;
  const guarded = new WriteTimeout(ms);
  // undici listens while it sends; an error after it let go (the request already failed) is nobody's.
  guarded.on('error', noop);
  source.on('error', (err) => guarded.destroy(err));
  return source.pipe(guarded);
}
