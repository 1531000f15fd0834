import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { protoMethods } from '@turnpike/plugin-sdk/protobuf';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { openRun, pluginEntity } from '../../plugin-chain/test-support.ts';
import { handler } from './handler.ts';
import { schema } from './schema.ts';

const TARGET = join(import.meta.dirname, '../../../../test/fixtures/grpc/targetservice.proto');

async function access(method: string, path: string, query?: string, body?: string) {
  const opened = openRun(
    [handler],
    { plugins: [pluginEntity('grpc-gateway', configOf(schema, { proto: TARGET }))] },
    {
      method,
      path,
      ...(query === undefined ? {} : { query }),
      ...(body === undefined ? {} : { body, headers: [['Content-Type', 'application/json']] }),
    },
  )!;
  await opened.run.beforeProxy();
  return opened;
}

function frame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

describe('grpc-gateway', () => {
  const body = protoMethods(TARGET).get('/targetservice.Bouncer/GrowTail')!.input;

  it('turns query arguments into the nested message, POSTed to the gRPC path without a query', async () => {
    const { run } = await access('GET', '/v1/grow/tail', 'name=x&legs.count=4&legs.nope=1&other=2');
    assert.equal(run.exit, undefined);
    assert.equal(run.upstreamPath, '/targetservice.Bouncer/GrowTail');
    assert.equal(run.upstreamMethod, 'POST');
    assert.equal(run.upstreamQuery, '');
    const sent = body.toObject(body.decode(run.upstreamBody!.subarray(5)));
    assert.deepEqual(sent, { name: 'x', legs: { count: 4 } });
  });

  it('answers JSON with the defaults, and maps a grpc-status in the head to the HTTP status', async () => {
    const { run } = await access('GET', '/v1/grow/tail');
    const headers = ['Content-Type', 'application/grpc'];
    run.header(200, headers);
    assert.equal(headers[headers.indexOf('Content-Type') + 1], 'application/json');
    assert.equal(headers[headers.indexOf('Access-Control-Allow-Origin') + 1], '*');
    const msg = body.encode(body.fromObject({ name: 'n', tail: { count: 2 } })).finish();
    const out = Buffer.concat([
      run.body(frame(msg).subarray(0, 3), false),
      run.body(frame(msg).subarray(3), true),
    ]);
    assert.deepEqual(JSON.parse(out.toString()), { name: 'n', tail: { count: 2, endings: '' } });

    const failed = await access('GET', '/v1/unknown/x');
    failed.run.header(200, ['Content-Type', 'application/grpc', 'grpc-status', '5']);
    assert.equal(failed.run.headerExitStatus, 404);
  });

  it("refuses what Kong refuses, in Kong's words", async () => {
    const noRoute = await access('GET', '/v1/nothing');
    assert.equal(noRoute.run.exit?.status, 400);
    assert.equal(
      noRoute.run.exit?.body?.toString(),
      'failed to transcode .proto file Unknown path "/v1/nothing"',
    );
    const scalar = await access('POST', '/bounce', undefined, '"text"');
    assert.equal(scalar.run.exit?.body?.toString(), 'body must be a table');
    const wrong = await access('POST', '/bounce', undefined, '{"when":"yesterday"}');
    assert.equal(wrong.run.exit?.body?.toString(), 'failed to encode payload');
  });
});
