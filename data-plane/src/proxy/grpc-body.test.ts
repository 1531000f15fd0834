import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { BodyTooLargeError, RequestAbandonedError, UpstreamWriteTimeoutError } from '@turnpike/shared';
import { GrpcRequestBody } from './grpc-body.ts';

/** An upstream side that keeps what it is given; `stalled`: it never reads past its buffer. */
function sink(stalled = false): Writable & { got: Buffer[] } {
  const got: Buffer[] = [];
  const w = new Writable({
    highWaterMark: 8,
    write(chunk: Buffer, _e, callback) {
      got.push(chunk);
      if (!stalled) callback();
    },
  });
  return Object.assign(w, { got });
}

function pumped(body: GrpcRequestBody, to: Writable): Promise<Error | undefined> {
  return new Promise((resolve) => {
    body.pump(to, resolve);
    to.once('finish', () => resolve(undefined));
  });
}

describe('GrpcRequestBody', () => {
  it('writes every chunk to the upstream stream and ends it', async () => {
    const source = new PassThrough();
    const to = sink();
    const done = pumped(new GrpcRequestBody(source, 0, 1000), to);
    source.write(Buffer.from('abc'));
    source.write(Buffer.alloc(100, 1));
    source.end(Buffer.from('z'));
    assert.equal(await done, undefined);
    assert.equal(Buffer.concat(to.got).length, 104);
  });

  it('fails past the limit when the length was not announced', async () => {
    const source = new PassThrough();
    const done = pumped(new GrpcRequestBody(source, 10, 1000), sink());
    source.write(Buffer.alloc(6));
    source.write(Buffer.alloc(6));
    assert.ok((await done) instanceof BodyTooLargeError);
  });

  it('fails when the upstream reads nothing for write_timeout', async () => {
    const source = new PassThrough();
    const done = pumped(new GrpcRequestBody(source, 0, 50), sink(true));
    source.write(Buffer.alloc(64));
    const started = Date.now();
    assert.ok((await done) instanceof UpstreamWriteTimeoutError);
    assert.ok(Date.now() - started >= 40);
  });

  it('fails when the client stream ends early', async () => {
    const source = new PassThrough();
    const done = pumped(new GrpcRequestBody(source, 0, 1000), sink());
    source.destroy(new Error('reset'));
    assert.ok((await done) instanceof RequestAbandonedError);
  });

  it('is an async iterable for dispatchers that are not the HTTP/2 one', async () => {
    const source = new PassThrough();
    source.end(Buffer.from('hello'));
    const chunks: Buffer[] = [];
    for await (const c of new GrpcRequestBody(source, 0, 1000)) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString(), 'hello');
  });
});
