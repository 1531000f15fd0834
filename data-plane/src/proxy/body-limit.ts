import { Transform, type TransformCallback } from 'node:stream';
import { BodyTooLargeError } from '@turnpike/shared';

/**
 * Counts a chunked request body on its way upstream and fails it past the limit, so the upstream
 * sees an unfinished chunked body (never a complete request) and the client gets 413. Only used
 * for bodies without Content-Length: those are checked before anything is sent.
 */
export class BodyLimit extends Transform {
  readonly #limit: number;
  #seen = 0;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit)
      callback(new BodyTooLargeError('request body exceeds client_max_body_size'));
    else callback(null, chunk);
  }
}
