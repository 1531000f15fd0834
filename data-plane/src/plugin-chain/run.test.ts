import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { definePluginHandler, type PluginContext, type PluginHandler } from '@turnpike/plugin-sdk';
import { handler as acl } from '../plugins/acl/handler.ts';
import { schema as aclSchema } from '../plugins/acl/schema.ts';
import { handler as jwt } from '../plugins/jwt/handler.ts';
import { schema as jwtSchema } from '../plugins/jwt/schema.ts';
import { handler as keyAuth } from '../plugins/key-auth/handler.ts';
import { schema as keyAuthSchema } from '../plugins/key-auth/schema.ts';
import { handler as rateLimiting } from '../plugins/rate-limiting/handler.ts';
import { schema as rateLimitingSchema } from '../plugins/rate-limiting/schema.ts';
import { configOf } from './schema-support.ts';
import { id, openRun, pluginEntity, runRequest } from './test-support.ts';

function plugin(name: string, priority: number, phases: Partial<PluginHandler>): PluginHandler {
  return definePluginHandler({ name, version: '1.0.0', priority, ...phases });
}

describe('the context plugins get', () => {
  it('is a frozen facade: the engine (beforeProxy, runLog, exitWith, header, body) is out of reach', async () => {
    let seen: PluginContext | undefined;
    const spy = plugin('spy', 1, {
      access(ctx) {
        seen = ctx;
      },
    });
    const result = await runRequest([spy], { plugins: [pluginEntity('spy', {})] });
    const ctx = seen!;
    assert.ok(Object.isFrozen(ctx) && Object.isFrozen(ctx.request) && Object.isFrozen(ctx.response));
    assert.ok(Object.isFrozen(Object.getPrototypeOf(ctx)));
    for (const name of [
      'beforeProxy',
      'runLog',
      'exitWith',
      'header',
      'body',
      'exit',
      'failed',
      'upstreamBody',
    ]) {
      assert.equal(name in ctx, false, `ctx.${name}`);
    }
    assert.notEqual(ctx as unknown, result?.run);
    assert.throws(() => {
      (ctx as unknown as Record<string, unknown>).consumer = { id: 'forged' };
    }, TypeError);
    assert.throws(() => {
      (Object.getPrototypeOf(ctx) as Record<string, unknown>).authenticate = () => {};
    }, TypeError);
  });
});

describe('the phase contract (shared/plugin-sdk/src/handler.ts)', () => {
  it('a throw in a header phase fails the run (the proxy answers 500) and skips the later header phases', async () => {
    const calls: string[] = [];
    const thrower = plugin('thrower', 10, {
      header() {
        throw new Error('in header');
      },
      log() {
        calls.push('log:thrower');
      },
    });
    const later = plugin('later', 1, {
      header() {
        calls.push('header:later');
      },
    });
    const result = await runRequest([thrower, later], {
      plugins: [pluginEntity('thrower', {}), pluginEntity('later', {})],
    });
    const run = result!.run;
    assert.equal(run.failed, false);
    run.header(200, ['Content-Type', 'text/plain']);
    assert.equal(run.failed, true);
    assert.deepEqual(calls, []);
    result!.res.emit('close');
    assert.deepEqual(calls, ['log:thrower']);
  });

  it('a throw in a body phase fails the run (the proxy closes the connection); later body phases see nothing', async () => {
    const calls: string[] = [];
    const thrower = plugin('thrower', 10, {
      body() {
        throw new Error('in body');
      },
    });
    const later = plugin('later', 1, {
      body(_ctx, _conf, chunk) {
        calls.push(`body:later:${chunk.toString()}`);
        return chunk;
      },
    });
    const result = await runRequest([thrower, later], {
      plugins: [pluginEntity('thrower', {}), pluginEntity('later', {})],
    });
    const run = result!.run;
    run.header(200, []);
    assert.equal(run.transformsBody, true);
    run.body(Buffer.from('a'), false);
    assert.equal(run.failed, true);
    run.body(Buffer.from('b'), true);
    assert.deepEqual(calls, []);
  });
});

describe('synchronous phases', () => {
  it('a chain of synchronous plugins completes inside beforeProxy, without a promise', () => {
    const calls: string[] = [];
    const first = plugin('first', 10, {
      access(ctx) {
        calls.push('first');
        ctx.setUpstreamHeader('X-First', '1');
      },
    });
    const stop = plugin('stop', 5, {
      access(ctx) {
        calls.push('stop');
        ctx.response.exit(401, { message: 'Unauthorized' });
      },
    });
    const opened = openRun([first, stop], { plugins: [pluginEntity('first', {}), pluginEntity('stop', {})] });
    const pending = opened!.run.beforeProxy();
    assert.equal(pending, undefined);
    assert.deepEqual(calls, ['first', 'stop']);
    assert.equal(opened!.run.exit?.status, 401);
    assert.deepEqual(opened!.upstreamHeaders, ['X-First', '1']);
  });

  it('a synchronous throw is the 500 at once', () => {
    const thrower = plugin('thrower', 1, {
      access() {
        throw new Error('boom');
      },
    });
    const opened = openRun([thrower], { plugins: [pluginEntity('thrower', {})] });
    assert.equal(opened!.run.beforeProxy(), undefined);
    assert.equal(opened!.run.exit?.status, 500);
  });

  it('awaits a phase that returns a promise, then goes on in priority order; a rejection is the 500', async () => {
    const calls: string[] = [];
    const sync = (name: string, priority: number) =>
      plugin(name, priority, {
        access() {
          calls.push(name);
        },
      });
    const slow = plugin('slow', 5, {
      async access(ctx) {
        await new Promise((resolve) => setImmediate(resolve));
        calls.push(`slow:${ctx.request.method}`);
      },
    });
    const entities = {
      plugins: [pluginEntity('a', {}), pluginEntity('slow', {}), pluginEntity('z', {})],
    };
    const opened = openRun([sync('a', 10), slow, sync('z', 1)], entities);
    const pending = opened!.run.beforeProxy();
    assert.ok(pending instanceof Promise);
    assert.deepEqual(calls, ['a']);
    await pending;
    assert.deepEqual(calls, ['a', 'slow:GET', 'z']);
    assert.equal(opened!.run.exit, undefined);

    const rejecting = plugin('slow', 5, {
      access: () => Promise.reject(new Error('late')),
    });
    const failing = openRun([sync('a', 10), rejecting, sync('z', 1)], entities);
    await failing!.run.beforeProxy();
    assert.equal(failing!.run.exit?.status, 500);
    assert.deepEqual(calls, ['a', 'slow:GET', 'z', 'a']);
  });
});

describe('the bundled header-credential plugins', () => {
  it('jwt, key-auth, acl and rate-limiting (local) run without a promise', () => {
    const consumer = { id: id('c'), username: 'erin' };
    const body = Buffer.from(JSON.stringify({ iss: 'erin-key' })).toString('base64url');
    const input = `${Buffer.from('{"typ":"JWT","alg":"HS256"}').toString('base64url')}.${body}`;
    const token = `${input}.${createHmac('sha256', 'shh').update(input).digest('base64url')}`;
    const entities = {
      consumers: [consumer],
      keyauth_credentials: [{ id: id('k'), key: 'erin-api-key', consumer: { id: consumer.id } }],
      jwt_secrets: [
        { id: id('j'), key: 'erin-key', secret: 'shh', algorithm: 'HS256', consumer: { id: consumer.id } },
      ],
      acls: [{ id: id('a'), consumer: { id: consumer.id }, group: 'ops' }],
      plugins: [
        pluginEntity('jwt', configOf(jwtSchema, {})),
        pluginEntity('key-auth', configOf(keyAuthSchema, {})),
        pluginEntity('acl', configOf(aclSchema, { allow: ['ops'] })),
        pluginEntity('rate-limiting', configOf(rateLimitingSchema, { minute: 100 })),
      ],
    };
    const opened = openRun([jwt, keyAuth, acl, rateLimiting], entities, {
      headers: [
        ['Authorization', `Bearer ${token}`],
        ['apikey', 'erin-api-key'],
      ],
    });
    assert.equal(opened?.run.beforeProxy(), undefined);
    assert.equal(opened?.run.exit, undefined);
    assert.equal(opened?.run.consumerId, consumer.id);
  });
});
