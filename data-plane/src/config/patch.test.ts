import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePluginHandler } from '@turnpike/plugin-sdk';
import { createLogger } from '@turnpike/shared';
import { applyDelta, type ConfigChange, type ConfigContent, hashConfig } from '@turnpike/shared/sync';
import type { Dispatcher } from 'undici';
import { match } from '../router/index.ts';
import type { DispatcherSource, Runtime } from '../runtime/index.ts';
import { ConfigApplier } from './applier.ts';
import { compileRuntime } from './compile.ts';
import { decodeContent } from './decode.ts';
import { patchRuntime } from './patch.ts';
import { runtimeConfigOf } from './runtime-config.ts';
import type { RuntimeConfig } from './types.ts';

const dispatchers: DispatcherSource = {
  dispatcherFor: (service) => ({ host: service.host }) as unknown as Dispatcher,
};

function runtimeConfig(version: number, content: ConfigContent): RuntimeConfig {
  return runtimeConfigOf(version, decodeContent(content));
}

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function randomChange(next: () => number): ConfigChange {
  if (next() < 0.25) {
    const id = pick(next, ['s1', 's2', 's3']);
    if (next() < 0.25) return { entity: 'services', id, op: 'delete' };
    const service = {
      id,
      protocol: pick(next, ['http', 'http', 'https', 'grpc']),
      host: pick(next, ['a.up', 'b.up']),
      port: pick(next, [80, 8080]),
      path: pick(next, [null, '/base']),
      read_timeout: pick(next, [null, 5_000]),
    };
    return { entity: 'services', id, op: 'upsert', value: service };
  }
  const id = `r${Math.floor(next() * 25)}`;
  if (next() < 0.25) return { entity: 'routes', id, op: 'delete' };
  const route = {
    id,
    created_at: Math.floor(next() * 3),
    paths: pick(next, [['/a'], ['/a/b'], ['~/a/\\d+'], ['/b', '/a'], ['/']]),
    hosts: pick(next, [null, ['h.test'], ['*.test']]),
    methods: pick(next, [null, ['GET']]),
    strip_path: next() < 0.5,
    service: pick(next, [{ id: 's1' }, { id: 's2' }, { id: 's3' }, null]),
  };
  return { entity: 'routes', id, op: 'upsert', value: route };
}

/** What a request gets from a Runtime: the route, and how its service is reached. */
function served(runtime: Runtime, path: string, host: string, method: string) {
  const found = match(runtime.router, { method, scheme: 'http', host, path, headers: {} });
  if (found === undefined) return undefined;
  const dispatch = found.service === undefined ? undefined : runtime.services.get(found.service.id);
  return {
    route: found.route.id,
    upstreamPath: found.upstreamPath,
    upstreamHost: found.upstreamHost,
    service: dispatch && {
      id: dispatch.service.id,
      dispatcher: dispatch.dispatcher,
      readTimeout: dispatch.readTimeout,
    },
  };
}

describe('patchRuntime', () => {
  it('serves like a full compile after random sequences of route and service changes', () => {
    const next = random(99);
    for (let sequence = 0; sequence < 15; sequence++) {
      let content: ConfigContent = new Map();
      let hash = hashConfig(content);
      let runtime = compileRuntime(runtimeConfig(0, content), { dispatchers });
      for (let version = 1; version <= 30; version++) {
        const changes = Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomChange(next));
        ({ config: content, hash } = applyDelta(content, hash, changes));
        runtime = patchRuntime(
          runtime,
          { version, entities: decodeContent(content), changes },
          { dispatchers },
        );
        const full = compileRuntime(runtimeConfig(version, content), { dispatchers });
        const context = `sequence ${sequence}, version ${version}`;
        assert.equal(runtime.version, version);
        assert.deepEqual([...runtime.services.keys()].sort(), [...full.services.keys()].sort(), context);
        for (const path of ['/', '/a', '/a/b', '/a/7', '/b/x']) {
          for (const host of ['h.test', 'x.test', 'other']) {
            for (const method of ['GET', 'POST']) {
              assert.deepEqual(
                served(runtime, path, host, method),
                served(full, path, host, method),
                `${context}: ${method} ${host}${path}`,
              );
            }
          }
        }
      }
    }
  });

  it('leaves the previous Runtime serving what it served', () => {
    const service = { id: 's1', protocol: 'http', host: 'a.up', port: 80 };
    const route = { id: 'r1', paths: ['/a'], service: { id: 's1' } };
    let content: ConfigContent = new Map<string, ReadonlyMap<string, unknown>>([
      ['services', new Map([['s1', service]])],
      ['routes', new Map([['r1', route]])],
    ]);
    const before = compileRuntime(runtimeConfig(1, content), { dispatchers });
    const changes: ConfigChange[] = [
      { entity: 'routes', id: 'r1', op: 'delete' },
      { entity: 'services', id: 's1', op: 'upsert', value: { ...service, host: 'b.up' } },
    ];
    content = applyDelta(content, hashConfig(content), changes).config;
    const after = patchRuntime(
      before,
      { version: 2, entities: decodeContent(content), changes },
      { dispatchers },
    );
    assert.equal(served(after, '/a', 'x', 'GET'), undefined);
    assert.equal(served(before, '/a', 'x', 'GET')?.route, 'r1');
    assert.equal(before.services.get('s1')?.service.host, 'a.up');
    assert.equal(after.services.get('s1')?.service.host, 'b.up');
  });

  it('refuses a delta that enables a plugin this node has not loaded, as a full compile does', () => {
    const before = compileRuntime({ version: 1, services: [], routes: [] }, { dispatchers });
    const changes: ConfigChange[] = [
      { entity: 'plugins', id: 'p1', op: 'upsert', value: { id: 'p1', name: 'key-auth', enabled: true } },
    ];
    const content = applyDelta(new Map(), hashConfig(new Map()), changes).config;
    assert.throws(
      () => patchRuntime(before, { version: 2, entities: decodeContent(content), changes }, { dispatchers }),
      /key-auth plugin is in use but not enabled/,
    );
  });
});

describe('patchRuntime and the plugin chains', () => {
  it('compiles only the touched chain for a one-route delta, and keeps ctx.cache through a delta and a resync', () => {
    const handler = definePluginHandler({ name: 'tag', version: '1.0.0', priority: 1, access() {} });
    const plugins = { handlers: new Map([['tag', handler]]), log: createLogger({ level: 'silent' }) };
    const routes = new Map<string, unknown>();
    const pluginEntities = new Map<string, unknown>();
    for (let i = 0; i < 200; i++) {
      routes.set(`r${i}`, { id: `r${i}`, paths: [`/r${i}`], service: { id: 's1' } });
      pluginEntities.set(`p${i}`, { id: `p${i}`, name: 'tag', route: { id: `r${i}` }, config: {} });
    }
    const content: ConfigContent = new Map<string, ReadonlyMap<string, unknown>>([
      ['services', new Map([['s1', { id: 's1', protocol: 'http', host: 'a.up', port: 80 }]])],
      ['routes', routes],
      ['plugins', pluginEntities],
    ]);
    const applier = new ConfigApplier({ dispatchers, plugins });
    const first = applier.apply({ version: 1, hash: hashConfig(content), config: content });
    assert.equal(first.plugins.compiledChains, 200);
    const instanceOf = (runtime: Runtime, route: string) =>
      (runtime.chains.get(route) as unknown as { entries: { base: { cache: Map<string, unknown> } }[] })
        .entries[0]!.base;
    instanceOf(first, 'r9').cache.set('seen', true);

    const changes: ConfigChange[] = [
      {
        entity: 'routes',
        id: 'r9',
        op: 'upsert',
        value: { id: 'r9', paths: ['/moved'], service: { id: 's1' } },
      },
    ];
    const next = applyDelta(content, hashConfig(content), changes);
    const patched = applier.applyDelta({ fromVersion: 1, version: 2, hash: next.hash, changes });
    assert.ok(!('stale' in patched));
    assert.equal(patched.plugins.compiledChains, 1);
    assert.equal(instanceOf(patched, 'r9').cache.get('seen'), true);
    assert.equal(
      match(patched.router, { method: 'GET', scheme: 'http', host: 'x', path: '/moved', headers: {} })?.route
        .id,
      'r9',
    );

    const resynced = applier.apply({ version: 3, hash: next.hash, config: next.config });
    assert.equal(instanceOf(resynced, 'r9').cache.get('seen'), true);
  });

  it("gives stream routes' log entries the version's compiled instances, the patched ones after a delta", () => {
    const handler = definePluginHandler<{ tag: string }, { tag: string }>({
      name: 'tag',
      version: '1.0.0',
      priority: 1,
      configure: (config) => ({ tag: config.tag.toUpperCase() }),
      log() {},
      streamLog() {},
    });
    const plugins = { handlers: new Map([['tag', handler]]), log: createLogger({ level: 'silent' }) };
    const tagPlugin = (tag: string) => ({
      id: 'p1',
      name: 'tag',
      protocols: ['http', 'tcp'],
      config: { tag },
    });
    const content: ConfigContent = new Map<string, ReadonlyMap<string, unknown>>([
      ['services', new Map([['s1', { id: 's1', protocol: 'tcp', host: 'a.up', port: 9 }]])],
      [
        'routes',
        new Map<string, unknown>([
          ['r1', { id: 'r1', protocols: ['tcp'], destinations: [{ port: 19000 }], service: { id: 's1' } }],
          ['r2', { id: 'r2', paths: ['/h'], service: { id: 's1' } }],
        ]),
      ],
      ['plugins', new Map([['p1', tagPlugin('one')]])],
    ]);
    const applier = new ConfigApplier({ dispatchers, plugins });
    const first = applier.apply({ version: 1, hash: hashConfig(content), config: content });
    const streamEntry = (runtime: Runtime) => runtime.streams.routes[0]!.logs[0]!;
    const httpInstance = (runtime: Runtime) =>
      (runtime.chains.get('r2') as unknown as { entries: { base: unknown }[] }).entries[0]!.base;
    assert.equal(streamEntry(first).instance, httpInstance(first), 'one compiled instance for both');
    assert.deepEqual(streamEntry(first).instance.conf, { tag: 'ONE' });

    const changes: ConfigChange[] = [{ entity: 'plugins', id: 'p1', op: 'upsert', value: tagPlugin('two') }];
    const next = applyDelta(content, hashConfig(content), changes);
    const patched = applier.applyDelta({ fromVersion: 1, version: 2, hash: next.hash, changes });
    assert.ok(!('stale' in patched));
    assert.deepEqual(streamEntry(patched).instance.conf, { tag: 'TWO' });
    assert.equal(streamEntry(patched).instance, httpInstance(patched));
    assert.equal(
      streamEntry(patched).instance.cache,
      streamEntry(first).instance.cache,
      'the cache carries over',
    );
  });
});
