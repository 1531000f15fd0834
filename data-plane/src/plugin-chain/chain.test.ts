import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePluginHandler, type PluginHandler } from '@turnpike/plugin-sdk';
import { createLogger } from '@turnpike/shared';
import { compilePluginChains } from './compile.ts';
import { contentOf, id, pluginEntity, ROUTE_ID, runRequest, SERVICE_ID } from './test-support.ts';

function recorder(
  name: string,
  priority: number,
  calls: string[],
  extra: Partial<PluginHandler> = {},
): PluginHandler {
  return definePluginHandler({
    name,
    version: '1.0.0',
    priority,
    access(_ctx, conf) {
      calls.push(`${name}:${String(conf.tag ?? '')}`);
    },
    ...extra,
  });
}

describe('plugin chain', () => {
  it('runs access phases by priority, higher first', async () => {
    const calls: string[] = [];
    await runRequest([recorder('low', 10, calls), recorder('high', 1000, calls)], {
      plugins: [pluginEntity('low', {}), pluginEntity('high', {}, { route: ROUTE_ID })],
    });
    assert.deepEqual(calls, ['high:', 'low:']);
  });

  it('skips the remaining access phases after an exit, and runs log phases after the response', async () => {
    const calls: string[] = [];
    const stopper = definePluginHandler({
      name: 'stopper',
      version: '1.0.0',
      priority: 100,
      access(ctx) {
        ctx.response.exit(418, { message: 'no' }, { 'X-Why': 'because' });
      },
      log(ctx) {
        calls.push(`log:${ctx.response.status}`);
      },
    });
    const result = await runRequest([stopper, recorder('later', 1, calls)], {
      plugins: [pluginEntity('stopper', {}), pluginEntity('later', {})],
    });
    assert.equal(result?.exit?.status, 418);
    assert.deepEqual(result?.json, { message: 'no' });
    assert.ok(result?.exit?.headers.includes('X-Why'));
    assert.deepEqual(calls, []);
    (result?.res as unknown as { statusCode: number }).statusCode = 418;
    result?.res.emit('close');
    assert.deepEqual(calls, ['log:418']);
  });

  it("turns a throwing access phase into Kong's 500 and does not run later plugins", async () => {
    const calls: string[] = [];
    const thrower = definePluginHandler({
      name: 'thrower',
      version: '1.0.0',
      priority: 100,
      access() {
        throw new Error('boom');
      },
    });
    const result = await runRequest([thrower, recorder('later', 1, calls)], {
      plugins: [pluginEntity('thrower', {}), pluginEntity('later', {})],
    });
    assert.equal(result?.exit?.status, 500);
    assert.deepEqual(result?.json, {
      message: 'An unexpected error occurred',
      request_id: '0123456789abcdef0123456789abcdef',
    });
    assert.deepEqual(calls, []);
  });

  it('applies a consumer-scoped config to plugins after the one that authenticated that consumer', async () => {
    const calls: string[] = [];
    const consumer = { id: id('c'), username: 'alice' };
    const auth = definePluginHandler({
      name: 'auth',
      version: '1.0.0',
      priority: 1000,
      access(ctx) {
        ctx.authenticate(consumer, { id: 'cred' });
      },
    });
    await runRequest([auth, recorder('limit', 10, calls)], {
      consumers: [consumer],
      plugins: [
        pluginEntity('auth', {}),
        pluginEntity('limit', { tag: 'everyone' }),
        pluginEntity('limit', { tag: 'alice' }, { consumer: consumer.id }),
      ],
    });
    assert.deepEqual(calls, ['limit:alice']);
  });

  it('tells the balancer the authenticated consumer, else its credential, else nothing (hash_on = consumer)', async () => {
    const authAs = (consumer: { id: string } | undefined, credential: { id: string } | undefined) =>
      definePluginHandler({
        name: 'auth',
        version: '1.0.0',
        priority: 1000,
        access(ctx) {
          ctx.authenticate(consumer, credential);
        },
      });
    const plugins = [pluginEntity('auth', {})];
    const consumer = { id: id('c') };
    const credential = { id: id('k') };
    const both = await runRequest([authAs(consumer, credential)], { plugins });
    assert.equal(both?.run.consumerId, consumer.id);
    const credentialOnly = await runRequest([authAs(undefined, credential)], { plugins });
    assert.equal(credentialOnly?.run.consumerId, credential.id);
    const none = await runRequest([authAs(undefined, undefined)], { plugins });
    assert.equal(none?.run.consumerId, undefined);
  });

  it('runs a plugin only for the protocols its instance lists', async () => {
    const calls: string[] = [];
    const plugins = [pluginEntity('p', {}, { protocols: ['https'] })];
    await runRequest([recorder('p', 1, calls)], { plugins }, { scheme: 'http' });
    assert.deepEqual(calls, []);
    await runRequest([recorder('p', 1, calls)], { plugins }, { scheme: 'https' });
    assert.deepEqual(calls, ['p:']);
  });

  it('gives routes no plugin applies to no chain at all', () => {
    const chains = compilePluginChains(
      [
        { id: ROUTE_ID, service: { id: SERVICE_ID } },
        { id: 'other', service: null },
      ],
      contentOf({ plugins: [pluginEntity('p', {}, { route: ROUTE_ID })] }),
      { handlers: new Map([['p', recorder('p', 1, [])]]), log: createLogger({ level: 'silent' }) },
    );
    assert.ok(chains.has(ROUTE_ID));
    assert.equal(chains.has('other'), false);
  });

  it('refuses a configuration using a plugin this node has not loaded, in Kong words', () => {
    assert.throws(
      () =>
        compilePluginChains([{ id: ROUTE_ID }], contentOf({ plugins: [pluginEntity('nope', {})] }), {
          handlers: new Map(),
          log: createLogger({ level: 'silent' }),
        }),
      (err: Error & { code?: string }) =>
        err.code === 'TP_CONFIG_INVALID' && err.message.includes('nope plugin is in use but not enabled'),
    );
  });

  it('edits upstream headers and query, and replays response headers set before the response', async () => {
    const editor = definePluginHandler({
      name: 'editor',
      version: '1.0.0',
      priority: 1,
      access(ctx) {
        ctx.setUpstreamHeader('X-Added', 'yes');
        ctx.clearUpstreamHeader('x-secret');
        ctx.setUpstreamQuery('a=1');
        ctx.setResponseHeader('X-Seen', 'true');
      },
    });
    const result = await runRequest(
      [editor],
      { plugins: [pluginEntity('editor', {})] },
      {
        headers: [
          ['X-Secret', 's'],
          ['Accept', '*/*'],
        ],
        query: 'secret=1',
      },
    );
    assert.deepEqual(result?.upstream, { accept: '*/*', 'x-added': 'yes' });
    assert.equal(result?.upstreamQuery, 'a=1');
    const headers = ['Content-Type', 'text/plain'];
    result?.run.header(200, headers);
    assert.deepEqual(headers, ['Content-Type', 'text/plain', 'X-Seen', 'true']);
  });
});
