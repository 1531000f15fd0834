import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configRecord, definePluginHandler, definePluginSchema, type PluginContext } from '../index.ts';
import { runPlugin, validateConfig } from './index.ts';

const schema = definePluginSchema({
  name: 'greeter',
  fields: {
    config: configRecord({
      greeting: { type: 'string', default: 'hello' },
      deny: { type: 'boolean', default: false },
    }),
  },
});

interface Conf {
  greeting: string;
  deny: boolean;
}

const handler = definePluginHandler<Conf>({
  name: 'greeter',
  version: '1.0.0',
  priority: 10,
  access(ctx: PluginContext, conf) {
    if (conf.deny) {
      ctx.response.exit(403, { message: 'go away' });
      return;
    }
    ctx.setUpstreamHeader('X-Greeting', `${conf.greeting}, ${ctx.request.header('x-name') ?? 'stranger'}`);
    ctx.setResponseHeader('X-Greeted', 'yes');
    ctx.shared.set('greeted', true);
  },
  header(ctx) {
    ctx.setResponseHeader('X-Status', String(ctx.response.status));
  },
  body(_ctx, _conf, chunk) {
    return Buffer.from(chunk.toString().toUpperCase());
  },
});

describe('the SDK test harness', () => {
  it('runs access, the service, header and body phases with the schema defaults filled', async () => {
    const result = await runPlugin(
      { handler, schema },
      { request: { headers: { 'X-Name': 'ada' } }, upstream: { status: 201, body: 'made' } },
    );
    assert.equal(result.exit, undefined);
    assert.equal(result.config.greeting, 'hello');
    assert.equal(result.upstream.called, true);
    assert.equal(result.upstream.headers['x-greeting'], 'hello, ada');
    assert.equal(result.response.status, 201);
    assert.equal(result.response.headers['x-greeted'], 'yes');
    assert.equal(result.response.headers['x-status'], '201');
    assert.equal(result.response.body.toString(), 'MADE');
    assert.equal(result.shared.get('greeted'), true);
  });

  it("an exit ends the request before the service; a bad config is refused in Kong's shape", async () => {
    const result = await runPlugin({ handler, schema }, { config: { deny: true } });
    assert.equal(result.exit?.status, 403);
    assert.deepEqual(result.exit?.json, { message: 'go away' });
    assert.equal(result.upstream.called, false);
    assert.throws(
      () => validateConfig(schema, { greeting: 42 }),
      (err: Error & { fields?: unknown }) => {
        assert.deepEqual(err.fields, { config: { greeting: 'expected a string' } });
        return true;
      },
    );
  });

  it('a throw in access is a 500 in Kong words, a bad header value a PluginValueError, as on a node', async () => {
    const thrower = definePluginHandler({
      name: 'greeter',
      version: '1.0.0',
      priority: 1,
      access(ctx) {
        ctx.setUpstreamHeader('X-Bad', 'a\r\nb');
      },
    });
    const result = await runPlugin({ handler: thrower, schema });
    assert.equal(result.exit?.status, 500);
    assert.deepEqual(result.exit?.json, { message: 'An unexpected error occurred' });
    assert.equal((result.errors[0]?.error as { code?: string } | undefined)?.code, 'TP_PLUGIN_VALUE');
    assert.ok(result.logs.some((l) => l.level === 'error' && l.msg === 'plugin failed'));
  });

  it("sees the service's headers in the header phase, and answers a header-phase exit with its status and no body", async () => {
    const costly = definePluginHandler<Conf>({
      name: 'greeter',
      version: '1.0.0',
      priority: 10,
      header(ctx) {
        const cost = ctx.response.header('x-cost');
        ctx.clearResponseHeader('x-cost');
        assert.deepEqual(
          ctx.response.headers().map(([name]) => name),
          ['content-type'],
        );
        if (cost === 'too much') ctx.response.exit(429);
      },
    });
    const upstream = {
      status: 200,
      headers: { 'content-type': 'text/plain', 'x-cost': 'too much' },
      body: 'x',
    };
    const result = await runPlugin({ handler: costly, schema }, { upstream });
    assert.equal(result.response.status, 429);
    assert.equal(result.response.body.length, 0);
    assert.equal(result.response.headers['content-length'], '0');
    assert.equal(result.response.headers['x-cost'], undefined);
  });

  it('refuses a schema the node would refuse at load', () => {
    const bad = { name: 'greeter', fields: { config: { type: 'record', fields: { x: { type: 'strng' } } } } };
    assert.throws(() => validateConfig(bad as never), /config\.x\.type: unknown type "strng"/);
  });
});

describe('runPlugin and configure', () => {
  it("hands the phases what configure made of the config; a throwing configure is Kong's 500", async () => {
    const schema = definePluginSchema({
      name: 'configured',
      fields: { config: configRecord({ word: { type: 'string', default: 'hi' } }) },
    });
    const handler = definePluginHandler<{ word: string }, { upper: string }>({
      name: 'configured',
      version: '1.0.0',
      priority: 1,
      configure: (config) => ({ upper: config.word.toUpperCase() }),
      access(ctx, conf) {
        ctx.setUpstreamHeader('X-Word', conf.upper);
      },
    });
    const ok = await runPlugin({ handler, schema }, { config: { word: 'hello' } });
    assert.equal(ok.upstream.headers['X-Word'] ?? ok.upstream.headers['x-word'], 'HELLO');
    const broken = definePluginHandler<{ word: string }>({
      name: 'configured',
      version: '1.0.0',
      priority: 1,
      configure() {
        throw new Error('bad word');
      },
    });
    const failed = await runPlugin({ handler: broken, schema });
    assert.equal(failed.exit?.status, 500);
    assert.equal(failed.errors[0]?.phase, 'configure');
  });
});
