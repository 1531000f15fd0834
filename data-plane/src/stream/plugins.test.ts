import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePluginHandler, type PluginHandler } from '@turnpike/plugin-sdk';
import { createLogger } from '@turnpike/shared';
import { type CompiledInstance, compileInstance } from '../plugin-chain/instance.ts';
import type { RouteConfig, RouterProblem } from '../router/index.ts';
import { guardAllows, type PluginEntity, type StreamPluginRuntime, streamPlugins } from './plugins.ts';

const log = createLogger({ level: 'silent' });
const route: RouteConfig = { id: 'r', protocols: ['tcp'], service: { id: 's' }, destinations: [{ port: 1 }] };
const ip = (id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  name: 'ip-restriction',
  config,
  ...extra,
});
const guardOf = (plugins: PluginEntity[], problems: RouterProblem[] = []) =>
  streamPlugins(route, plugins, undefined, problems).ipGuard;

const logger = (name: string, priority: number): PluginHandler =>
  definePluginHandler({ name, version: '1.0.0', priority, log() {}, streamLog() {} });
const httpOnly = definePluginHandler({ name: 'key-auth', version: '1.0.0', priority: 1250, access() {} });

/** A runtime over `entities`, each compiled once (as the version's CompiledPlugins would). */
function runtimeOf(entities: PluginEntity[], handlers: PluginHandler[]): StreamPluginRuntime {
  const byName = new Map(handlers.map((h) => [h.name, h]));
  const instances = new Map<string, CompiledInstance>();
  for (const e of entities) {
    const handler = byName.get(e.name);
    if (handler !== undefined && e.enabled !== false)
      instances.set(e.id, compileInstance(e, handler, undefined, log));
  }
  return { handlers: byName, instances, logFor: () => log };
}

describe('stream plugins: ip-restriction', () => {
  it("applies with Kong's precedence: route and service, route, service, global", () => {
    const problems: RouterProblem[] = [];
    const guard = guardOf(
      [
        ip('global', { deny: ['0.0.0.0/0'] }),
        ip('service', { deny: ['10.0.0.0/8'] }, { service: { id: 's' } }),
        ip('route', { allow: ['127.0.0.1'] }, { route: { id: 'r' } }),
        ip('other-route', { deny: ['127.0.0.1'] }, { route: { id: 'x' } }),
      ],
      problems,
    );
    assert.ok(guard);
    assert.equal(guardAllows(guard, '127.0.0.1'), true, 'the route instance wins');
    assert.equal(guardAllows(guard, '10.1.1.1'), false, 'not on its allow list');
    assert.deepEqual(problems, []);
  });

  it('deny comes before allow; disabled instances and instances without the protocol do not apply', () => {
    const guard = guardOf([ip('g', { allow: ['10.0.0.0/8'], deny: ['10.0.0.5'] })]);
    assert.equal(guardAllows(guard!, '10.0.0.5'), false);
    assert.equal(guardAllows(guard!, '10.0.0.6'), true);
    assert.equal(guardAllows(guard!, '2001:db8::1'), false);
    assert.equal(guardOf([ip('g', { deny: ['0.0.0.0/0'] }, { enabled: false })]), undefined);
    assert.equal(guardOf([ip('g', { deny: ['0.0.0.0/0'] }, { protocols: ['http', 'https'] })]), undefined);
  });
});

describe('stream plugins: log entries', () => {
  const fileLog = logger('file-log', 9);
  const httpLog = logger('http-log', 12);

  it("take each plugin's effective instance (Kong's precedence), its compiled instance, by priority", () => {
    const entities: PluginEntity[] = [
      { id: 'f-global', name: 'file-log', protocols: ['tcp'], config: { path: 'g' } },
      { id: 'f-service', name: 'file-log', protocols: ['tcp'], service: { id: 's' }, config: { path: 's' } },
      { id: 'f-both', name: 'file-log', protocols: ['tcp'], route: { id: 'r' }, service: { id: 's' } },
      { id: 'f-route', name: 'file-log', protocols: ['tcp'], route: { id: 'r' } },
      { id: 'h-global', name: 'http-log', protocols: ['tcp', 'tls'] },
    ];
    const runtime = runtimeOf(entities, [fileLog, httpLog]);
    const problems: RouterProblem[] = [];
    const { logs } = streamPlugins(route, entities, runtime, problems);
    assert.deepEqual(
      logs.map((e) => [e.name, e.instance.id]),
      [
        ['http-log', 'h-global'],
        ['file-log', 'f-both'],
      ],
    );
    assert.equal(logs[1]!.instance, runtime.instances.get('f-both'), 'the compiled instance itself');
    assert.deepEqual(problems, []);

    const withoutBoth = entities.filter((e) => e.id !== 'f-both');
    assert.equal(streamPlugins(route, withoutBoth, runtime, []).logs[1]!.instance.id, 'f-route');
    const serviceOnly = entities.filter((e) => e.id === 'f-service' || e.id === 'f-global');
    assert.equal(streamPlugins(route, serviceOnly, runtime, []).logs[0]!.instance.id, 'f-service');
  });

  it("run only where the instance's protocols list the route's (log plugins default to http ones)", () => {
    const entities: PluginEntity[] = [
      { id: 'no-protocols', name: 'file-log', protocols: ['http', 'https'] },
      { id: 'udp-only', name: 'http-log', protocols: ['udp'] },
      { id: 'off', name: 'file-log', protocols: ['tcp'], enabled: false },
      { id: 'consumer', name: 'http-log', protocols: ['tcp'], consumer: { id: 'c' } },
    ];
    const problems: RouterProblem[] = [];
    assert.deepEqual(
      streamPlugins(route, entities, runtimeOf(entities, [fileLog, httpLog]), problems).logs,
      [],
    );
    assert.deepEqual(problems, []);
    const udp: RouteConfig = { ...route, protocols: ['udp'] };
    assert.deepEqual(
      streamPlugins(udp, entities, runtimeOf(entities, [fileLog, httpLog]), []).logs.map(
        (e) => e.instance.id,
      ),
      ['udp-only'],
    );
  });

  it('report a plugin without a stream phase as a problem; prometheus counts on its own', () => {
    const entities: PluginEntity[] = [
      { id: 'k', name: 'key-auth', protocols: ['tcp'] },
      { id: 'p', name: 'prometheus' },
      { id: 'f', name: 'file-log', protocols: ['tcp'] },
    ];
    const problems: RouterProblem[] = [];
    const { logs } = streamPlugins(route, entities, runtimeOf(entities, [httpOnly, fileLog]), problems);
    assert.deepEqual(
      logs.map((e) => e.name),
      ['file-log'],
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /'key-auth' applies to stream route r but does not run on streams/);

    const none: RouterProblem[] = [];
    streamPlugins(route, entities, undefined, none);
    assert.deepEqual(
      none.map((p) => p.message.split("'")[1]),
      ['key-auth', 'file-log'],
      'without a plugin runtime nothing can run: reported',
    );
  });
});
