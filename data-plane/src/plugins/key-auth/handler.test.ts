import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { id, openRun, pluginEntity, runRequest } from '../../plugin-chain/test-support.ts';
import { handler } from './handler.ts';
import { schema } from './schema.ts';

const alice = { id: id('c'), username: 'alice', custom_id: 'a-1' };
const anon = { id: id('c'), username: 'anonymous' };
const credential = { id: id('k'), key: 'secret-key', consumer: { id: alice.id } };

/** The WWW-Authenticate value of a flat `[name, value, …]` header list. */
function challengeOf(headers: readonly string[] | undefined): string | undefined {
  const i = headers?.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === 'www-authenticate') ?? -1;
  return i === -1 ? undefined : headers?.[i + 1];
}

function entities(config: Record<string, unknown> = {}) {
  return {
    consumers: [alice, anon],
    keyauth_credentials: [credential],
    plugins: [pluginEntity('key-auth', configOf(schema, config))],
  };
}

describe('key-auth', () => {
  it("answers 401 with Kong's bare `Key` challenge when no key is given", async () => {
    const r = await runRequest([handler], entities());
    assert.equal(r?.exit?.status, 401);
    assert.deepEqual(r?.json, { message: 'No API key found in request' });
    assert.equal(challengeOf(r?.exit?.headers), 'Key');
  });

  it('names the configured realm in the challenge', async () => {
    const r = await runRequest([handler], entities({ realm: 'test-realm' }), {
      headers: [['apikey', 'wrong']],
    });
    assert.equal(challengeOf(r?.exit?.headers), 'Key realm="test-realm"');
  });

  it("answers 401 Kong's `Unauthorized` for a key no credential has", async () => {
    const r = await runRequest([handler], entities(), { headers: [['apikey', 'wrong']] });
    assert.equal(r?.exit?.status, 401);
    assert.deepEqual(r?.json, { message: 'Unauthorized' });
    assert.equal(challengeOf(r?.exit?.headers), 'Key');
  });

  it('authenticates a key from the header and tells the service who the consumer is', async () => {
    const r = await runRequest([handler], entities(), { headers: [['apikey', 'secret-key']] });
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-id'], alice.id);
    assert.equal(r?.upstream['x-consumer-username'], 'alice');
    assert.equal(r?.upstream['x-consumer-custom-id'], 'a-1');
    assert.equal(r?.upstream['x-credential-identifier'], credential.id);
    assert.equal(r?.upstream['x-anonymous-consumer'], undefined);
    assert.equal(r?.upstream.apikey, 'secret-key');
  });

  it('takes the key from the query string, and hides it from the service when asked', async () => {
    const r = await runRequest([handler], entities({ hide_credentials: true }), {
      query: 'apikey=secret-key&x=1',
    });
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstreamQuery, 'x=1');
    const h = await runRequest([handler], entities({ hide_credentials: true }), {
      headers: [['ApiKey', 'secret-key']],
    });
    assert.equal(h?.upstream.apikey, undefined);
  });

  it('ignores the places it was told not to look', async () => {
    const r = await runRequest([handler], entities({ key_in_query: false }), { query: 'apikey=secret-key' });
    assert.deepEqual(r?.json, { message: 'No API key found in request' });
  });

  it('reads the key from a form body when key_in_body is set', async () => {
    const r = await runRequest([handler], entities({ key_in_body: true, hide_credentials: true }), {
      method: 'POST',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: 'apikey=secret-key&keep=1',
    });
    assert.equal(r?.exit, undefined);
    assert.equal(r?.run.upstreamBody?.toString(), 'keep=1');
    assert.equal(r?.upstream['content-length'], '6');
  });

  it('refuses a key given twice', async () => {
    const r = await runRequest([handler], entities(), {
      headers: [
        ['apikey', 'a'],
        ['apikey', 'b'],
      ],
    });
    assert.deepEqual(r?.json, { message: 'Duplicate API key found' });
  });

  it('lets the request through as the anonymous consumer when one is configured', async () => {
    const r = await runRequest([handler], entities({ anonymous: anon.id }));
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-id'], anon.id);
    assert.equal(r?.upstream['x-anonymous-consumer'], 'true');
  });

  it('does not authenticate OPTIONS requests when run_on_preflight is off', async () => {
    const r = await runRequest([handler], entities({ run_on_preflight: false }), { method: 'OPTIONS' });
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-id'], undefined);
  });
});

describe('key-auth without a promise', () => {
  it('authenticates a key from a header synchronously: beforeProxy returns nothing to await', () => {
    const opened = openRun([handler], entities(), { headers: [['apikey', 'secret-key']] });
    assert.equal(opened?.run.beforeProxy(), undefined);
    assert.equal(opened?.run.exit, undefined);
    assert.equal(opened?.run.consumerId, alice.id);
  });

  it('awaits only when the key must be looked for in the body', async () => {
    const opened = openRun([handler], entities({ key_in_body: true }), {
      method: 'POST',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: 'apikey=secret-key',
    });
    const pending = opened?.run.beforeProxy();
    assert.ok(pending instanceof Promise);
    await pending;
    assert.equal(opened?.run.consumerId, alice.id);
  });
});
