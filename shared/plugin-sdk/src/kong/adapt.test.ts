import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPlugin } from '../testing/index.ts';
import { fromKongJsModule, kongJsModule } from './index.ts';

// kong-js-pdk's examples/js-hello.js, as it is (module.exports of a CommonJS file).
class KongPlugin {
  config: { message?: string };
  constructor(config: { message?: string }) {
    this.config = config;
  }
  // biome-ignore lint/suspicious/noExplicitAny: a Kong JS plugin is untyped JavaScript
  async access(kong: any) {
    const host = await kong.request.getHeader('host');
    if (host === undefined) return await kong.log.err('unable to get header for request');
    const message = this.config.message || 'hello';
    await Promise.all([
      kong.response.setHeader('x-hello-from-javascript', `Javascript says ${message} to ${host}`),
      kong.response.setHeader('x-javascript-pid', process.pid),
    ]);
  }
}
const jsHello = {
  Plugin: KongPlugin,
  Schema: [{ message: { type: 'string' } }],
  Version: '0.1.0',
  Priority: 0,
};

describe("Kong's JavaScript plugin server modules", () => {
  it('run unchanged: js-hello sets its headers from its config', async () => {
    const mod = kongJsModule({ default: jsHello });
    assert.ok(mod);
    const plugin = fromKongJsModule(mod, 'js-hello');
    assert.equal(plugin.handler.priority, 0);
    assert.equal(plugin.handler.version, '0.1.0');
    const result = await runPlugin(plugin, {
      config: { message: 'hi' },
      request: { headers: { host: 'example.test' } },
    });
    assert.equal(result.response.headers['x-hello-from-javascript'], 'Javascript says hi to example.test');
    assert.equal(result.response.headers['x-javascript-pid'], String(process.pid));
    const none = await runPlugin(plugin, {});
    assert.ok(none.logs.some((l) => l.level === 'error' && l.msg === 'unable to get header for request'));
  });

  it('cover the request, service request, client, ctx.shared and exit', async () => {
    class Gate {
      // biome-ignore lint/suspicious/noExplicitAny: a Kong JS plugin is untyped JavaScript
      async access(kong: any) {
        await kong.ctx.shared.set('seen', await kong.request.getQueryArg('who'));
        await kong.service.request.setHeader('X-Path', await kong.request.getPathWithQuery());
        await kong.service.request.setQuery({ a: '1', flag: true });
        await kong.service.request.clearHeader('x-drop');
        if ((await kong.request.getHeader('x_deny')) === 'yes') {
          return kong.response.exit(401, { message: 'no' }, { 'WWW-Authenticate': 'Basic' });
        }
        if ((await kong.client.getIp()) !== '10.0.0.9') return kong.response.error(403);
      }
    }
    const plugin = fromKongJsModule({ Plugin: Gate as never, Version: '1.2.3', Priority: 5 }, 'gate');
    const passed = await runPlugin(plugin, {
      request: { path: '/p', query: 'who=ada', headers: { 'x-drop': '1' }, clientIp: '10.0.0.9' },
    });
    assert.equal(passed.exit, undefined);
    assert.equal(passed.upstream.headers['x-path'], '/p?who=ada');
    assert.equal(passed.upstream.headers['x-drop'], undefined);
    assert.equal(passed.upstream.query, 'a=1&flag');
    assert.equal(passed.shared.get('seen'), 'ada');
    const denied = await runPlugin(plugin, { request: { headers: { 'x-deny': 'yes' } } });
    assert.equal(denied.exit?.status, 401);
    assert.equal(denied.exit?.headers['www-authenticate'], 'Basic');
    const forbidden = await runPlugin(plugin, { request: { clientIp: '10.0.0.1' } });
    assert.deepEqual(forbidden.exit?.json, { message: 'Forbidden' });
  });

  it('answer a PDK function outside the supported subset with a clear error', async () => {
    class Nginx {
      // biome-ignore lint/suspicious/noExplicitAny: a Kong JS plugin is untyped JavaScript
      async access(kong: any) {
        await kong.nginx.getVar('upstream_addr');
      }
    }
    const result = await runPlugin(fromKongJsModule({ Plugin: Nginx as never, Version: '1.0.0' }, 'nginx'));
    assert.equal(result.exit?.status, 500);
    const error = result.errors[0]?.error as Error & { code?: string };
    assert.equal(error.code, 'TP_KONG_PDK_UNSUPPORTED');
    assert.match(error.message, /^kong\.nginx\.getVar\(\) is not supported by Turnpike/);
  });

  it('refuse at load a phase Turnpike does not run, a bad Version or another Name', () => {
    class Buffered {
      async response() {}
    }
    assert.throws(
      () => fromKongJsModule({ Plugin: Buffered as never, Version: '1.0.0' }, 'b'),
      /its 'response' phase is not supported by Turnpike/,
    );
    assert.throws(() => fromKongJsModule({ Plugin: KongPlugin as never, Version: '1.0' }, 'b'), /"x\.y\.z"/);
    assert.throws(
      () => fromKongJsModule({ Plugin: KongPlugin as never, Version: '1.0.0', Name: 'other' }, 'b'),
      /Name is 'other', not 'b'/,
    );
    assert.equal(kongJsModule({ handler: {} }), undefined);
  });
});
