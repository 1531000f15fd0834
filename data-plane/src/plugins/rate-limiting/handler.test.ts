import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalNodeCounters } from '@turnpike/plugin-sdk';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { type FakeRequest, id, pluginEntity, runRequest } from '../../plugin-chain/test-support.ts';
import { handler as keyAuth } from '../key-auth/handler.ts';
import { schema as keyAuthSchema } from '../key-auth/schema.ts';
import { createRateLimitingHandler, handler } from './handler.ts';
import { schema } from './schema.ts';

const alice = { id: id('c'), username: 'alice' };
const bob = { id: id('c'), username: 'bob' };
const aliceKey = { id: id('k'), key: 'alice-key', consumer: { id: alice.id } };
const bobKey = { id: id('k'), key: 'bob-key', consumer: { id: bob.id } };
/** 12:00:15 UTC: 45 seconds left in the minute. */
const NOW = Date.parse('2024-05-01T12:00:15.400Z');

function entities(config: Record<string, unknown>, withKeyAuth = false) {
  const plugins = [pluginEntity('rate-limiting', configOf(schema, config))];
  if (withKeyAuth) plugins.push(pluginEntity('key-auth', configOf(keyAuthSchema, {})));
  return { consumers: [alice, bob], keyauth_credentials: [aliceKey, bobKey], plugins };
}

/** A limiter with its own counters and a clock the test moves. */
function limiter() {
  const clock = { now: NOW };
  return {
    clock,
    handler: createRateLimitingHandler({ counters: new LocalNodeCounters(), now: () => clock.now }),
  };
}

/** Runs one request and gives its status (0 = proxied) and the client's response headers. */
async function send(
  h: ReturnType<typeof limiter>,
  config: Record<string, unknown>,
  request: FakeRequest = {},
  withKeyAuth = false,
) {
  const r = await runRequest(
    withKeyAuth ? [keyAuth, h.handler] : [h.handler],
    entities(config, withKeyAuth),
    request,
  );
  assert.ok(r);
  const flat = r.exit === undefined ? [] : [...r.exit.headers];
  r.run.header(r.exit?.status ?? 200, flat);
  const headers: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]!.toLowerCase()] = flat[i + 1]!;
  return { status: r.exit?.status ?? 0, json: r.json, headers };
}

describe('rate-limiting', () => {
  it("has Kong's name and priority", () => {
    assert.equal(handler.name, 'rate-limiting');
    assert.equal(handler.priority, 910);
  });

  it('lets the limit through, then refuses with 429, Kong body and Retry-After', async () => {
    const h = limiter();
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await send(h, { minute: 3 });
      assert.equal(r.status, 0);
      remaining.push(r.headers['x-ratelimit-remaining-minute']!);
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    const r = await send(h, { minute: 3 });
    assert.equal(r.status, 429);
    assert.deepEqual(r.json, { message: 'API rate limit exceeded' });
    assert.equal(r.headers['retry-after'], '45');
    assert.equal(r.headers['ratelimit-limit'], '3');
    assert.equal(r.headers['ratelimit-remaining'], '0');
    assert.equal(r.headers['ratelimit-reset'], '45');
    assert.equal(r.headers['x-ratelimit-limit-minute'], '3');
  });

  it('lets requests through again once the window has passed', async () => {
    const h = limiter();
    await send(h, { minute: 1 });
    assert.equal((await send(h, { minute: 1 })).status, 429);
    h.clock.now = Date.parse('2024-05-01T12:01:00.000Z');
    assert.equal((await send(h, { minute: 1 })).status, 0);
  });

  it('reports the period with the least remaining in RateLimit-*, the longer one on a tie', async () => {
    const h = limiter();
    const first = await send(h, { second: 2, hour: 3 });
    assert.equal(first.headers['x-ratelimit-limit-second'], '2');
    assert.equal(first.headers['x-ratelimit-remaining-second'], '1');
    assert.equal(first.headers['x-ratelimit-limit-hour'], '3');
    assert.equal(first.headers['x-ratelimit-remaining-hour'], '2');
    assert.equal(first.headers['ratelimit-limit'], '2');
    assert.equal(first.headers['ratelimit-remaining'], '1');
    assert.equal(first.headers['ratelimit-reset'], '1');
    h.clock.now += 1000;
    const tie = await send(h, { second: 2, hour: 3 });
    assert.equal(tie.headers['x-ratelimit-remaining-second'], '1');
    assert.equal(tie.headers['ratelimit-limit'], '3');
    assert.equal(tie.headers['ratelimit-remaining'], '1');
    assert.equal(tie.headers['ratelimit-reset'], String(3600 - 16));
  });

  it('uses the configured error code and message', async () => {
    const h = limiter();
    const config = { second: 1, error_code: 503, error_message: 'slow down' };
    await send(h, config);
    const r = await send(h, config);
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { message: 'slow down' });
  });

  it('hides every rate-limit header, Retry-After included, when hide_client_headers is set', async () => {
    const h = limiter();
    const config = { minute: 1, hide_client_headers: true };
    const ok = await send(h, config);
    assert.deepEqual(
      Object.keys(ok.headers).filter((n) => n.includes('ratelimit')),
      [],
    );
    const refused = await send(h, config);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], undefined);
    assert.equal(refused.headers['ratelimit-limit'], undefined);
  });

  it('counts each consumer apart when limiting by consumer', async () => {
    const h = limiter();
    const as = (key: string) => ({ headers: [['apikey', key]] as [string, string][] });
    assert.equal((await send(h, { minute: 1 }, as('alice-key'), true)).status, 0);
    assert.equal((await send(h, { minute: 1 }, as('alice-key'), true)).status, 429);
    assert.equal((await send(h, { minute: 1 }, as('bob-key'), true)).status, 0);
  });

  it('falls back to the client address when there is no consumer or credential', async () => {
    const h = limiter();
    assert.equal((await send(h, { minute: 1 })).status, 0);
    assert.equal((await send(h, { minute: 1, limit_by: 'credential' })).status, 429);
  });

  it('counts by header value when limiting by header', async () => {
    const h = limiter();
    const config = { minute: 1, limit_by: 'header', header_name: 'x-tenant' };
    const tenant = (t: string) => ({ headers: [['X-Tenant', t]] as [string, string][] });
    assert.equal((await send(h, config, tenant('a'))).status, 0);
    assert.equal((await send(h, config, tenant('a'))).status, 429);
    assert.equal((await send(h, config, tenant('b'))).status, 0);
  });

  it('counts the configured path apart from other paths when limiting by path', async () => {
    const h = limiter();
    const config = { minute: 1, limit_by: 'path', path: '/orders' };
    assert.equal((await send(h, config, { path: '/orders' })).status, 0);
    assert.equal((await send(h, config, { path: '/orders' })).status, 429);
    // Another path falls back to the client address: its own counter.
    assert.equal((await send(h, config, { path: '/other' })).status, 0);
  });

  it('counts every client of the service together when limiting by service', async () => {
    const h = limiter();
    const config = { minute: 1, limit_by: 'service' };
    assert.equal((await send(h, config, { headers: [['apikey', 'alice-key']] }, true)).status, 0);
    assert.equal((await send(h, config, { headers: [['apikey', 'bob-key']] }, true)).status, 429);
  });
});
