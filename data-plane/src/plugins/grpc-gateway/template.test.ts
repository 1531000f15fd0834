import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTemplate, matchTemplate } from './template.ts';

describe('grpc-gateway path templates', () => {
  it('captures one segment for {var} and {var=*}, any for {var=**}', () => {
    const one = compileTemplate('/v1/messages/{greeting}');
    assert.deepEqual(matchTemplate(one, '/v1/messages/john_doe'), { greeting: 'john_doe' });
    assert.equal(matchTemplate(one, '/v1/messages/john_doe/bai'), undefined);
    const star = compileTemplate('/v1/{name=*}/x');
    assert.deepEqual(matchTemplate(star, '/v1/a/x'), { name: 'a' });
    const any = compileTemplate('/v1/messages/legacy/{greeting=**}');
    assert.deepEqual(matchTemplate(any, '/v1/messages/legacy/a/b'), { greeting: 'a/b' });
    const shelves = compileTemplate('/v1/{name=shelves/*}/books/{book}');
    assert.deepEqual(matchTemplate(shelves, '/v1/shelves/s1/books/b2'), { name: 'shelves/s1', book: 'b2' });
  });
});
