import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePluginHandler, type PluginHandler } from '@turnpike/plugin-sdk';
import { createLogger } from '@turnpike/shared';
import type { PluginChain } from '../runtime/plugin-chain.ts';
import type { CompiledChain } from './chain.ts';
import { compilePlugins, type PluginRuntimeOptions } from './compile.ts';
import type { ContentChange } from './entity-lookup.ts';
import { patchPlugins } from './patch.ts';
import type { CompiledPlugins } from './plugins.ts';

type Entity = Record<string, unknown> & { id: string };
type Content = Map<string, Map<string, Entity>>;

function handler(name: string, priority: number): PluginHandler {
  return definePluginHandler({ name, version: '1.0.0', priority, access() {} });
}

const options: PluginRuntimeOptions = {
  handlers: new Map(
    [handler('auth', 1000), handler('limit', 900), handler('tag', 10)].map((h) => [h.name, h]),
  ),
  log: createLogger({ level: 'silent' }),
};

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

/** What a chain runs: per plugin, the instance ids that may apply. */
function signature(chain: PluginChain | undefined): unknown {
  if (chain === undefined) return undefined;
  return (chain as CompiledChain).entries.map((e) => ({
    name: e.name,
    base: e.base?.id,
    global: e.global?.id,
    byConsumer: e.byConsumer && [...e.byConsumer].map(([c, i]) => `${c}=${i.id}`).sort(),
    http: e.base?.http,
    conf: e.base?.conf,
  }));
}

function routesOf(content: Content) {
  return [...(content.get('routes')?.values() ?? [])] as { id: string; service?: { id: string } | null }[];
}

function apply(content: Content, changes: readonly (ContentChange & { value?: Entity })[]): Content {
  const next: Content = new Map([...content].map(([type, byId]) => [type, new Map(byId)]));
  for (const change of changes) {
    let byId = next.get(change.entity);
    if (byId === undefined) {
      byId = new Map();
      next.set(change.entity, byId);
    }
    if (change.value === undefined) byId.delete(change.id);
    else byId.set(change.id, change.value);
  }
  return next;
}

function randomChange(next: () => number): ContentChange & { value?: Entity } {
  const roll = next();
  if (roll < 0.2) {
    const id = `r${Math.floor(next() * 12)}`;
    if (next() < 0.2) return { entity: 'routes', id };
    return { entity: 'routes', id, value: { id, service: pick(next, [{ id: 's1' }, { id: 's2' }, null]) } };
  }
  if (roll < 0.35) {
    const id = `c${Math.floor(next() * 3)}`;
    if (next() < 0.2) return { entity: 'consumers', id };
    return { entity: 'consumers', id, value: { id, username: `${id}-${pick(next, ['a', 'b'])}` } };
  }
  if (roll < 0.45) {
    const id = `k${Math.floor(next() * 4)}`;
    if (next() < 0.2) return { entity: 'keyauth_credentials', id };
    return {
      entity: 'keyauth_credentials',
      id,
      // Unique fields stay unique, as the control plane keeps them.
      value: { id, key: `${id}-${pick(next, ['a', 'b'])}`, consumer: { id: pick(next, ['c0', 'c1', 'c2']) } },
    };
  }
  const id = `p${Math.floor(next() * 20)}`;
  if (next() < 0.15) return { entity: 'plugins', id };
  const scope = next();
  return {
    entity: 'plugins',
    id,
    value: {
      id,
      name: pick(next, ['auth', 'limit', 'tag']),
      enabled: next() < 0.9,
      protocols: pick(next, [['http', 'https'], ['https']]),
      config: { n: Math.floor(next() * 3) },
      route: scope < 0.45 ? { id: `r${Math.floor(next() * 12)}` } : null,
      service: scope > 0.35 && scope < 0.8 ? { id: pick(next, ['s1', 's2']) } : null,
      consumer: next() < 0.25 ? { id: pick(next, ['c0', 'c1']) } : null,
    },
  };
}

const ref = (e: unknown) => (e as { id?: string } | null | undefined)?.id ?? '';
const scopeKey = (p: Entity) => `${String(p.name)}|${ref(p.route)}|${ref(p.service)}|${ref(p.consumer)}`;

/** Kong keeps (name, route, service, consumer) unique among plugins: a change breaking that is dropped. */
function keepsPluginsUnique(content: Content, change: ContentChange & { value?: Entity }): boolean {
  if (change.entity !== 'plugins' || change.value === undefined) return true;
  const key = scopeKey(change.value);
  for (const other of content.get('plugins')?.values() ?? []) {
    if (other.id !== change.id && scopeKey(other) === key) return false;
  }
  return true;
}

function assertSame(
  patched: CompiledPlugins,
  full: CompiledPlugins,
  content: Content,
  context: string,
): void {
  for (const route of routesOf(content)) {
    assert.deepEqual(
      signature(patched.chains.get(route.id)),
      signature(full.chains.get(route.id)),
      `${context} ${route.id}`,
    );
  }
  assert.deepEqual([...patched.chains.keys()].sort(), [...full.chains.keys()].sort(), context);
  for (const id of ['c0', 'c1', 'c2']) {
    assert.equal(patched.db.get('consumers', id), full.db.get('consumers', id), context);
    for (const name of [`${id}-a`, `${id}-b`]) {
      assert.equal(
        patched.db.findBy('consumers', 'username', name),
        full.db.findBy('consumers', 'username', name),
        `${context}: username ${name}`,
      );
    }
    const acls = (db: CompiledPlugins['db']) =>
      db
        .listBy('keyauth_credentials', 'consumer', id)
        .map((c) => c.id)
        .sort();
    assert.deepEqual(acls(patched.db), acls(full.db), `${context}: credentials of ${id}`);
  }
  for (const key of ['k0', 'k1', 'k2', 'k3'].flatMap((k) => [`${k}-a`, `${k}-b`])) {
    assert.equal(
      patched.db.findBy('keyauth_credentials', 'key', key)?.id,
      full.db.findBy('keyauth_credentials', 'key', key)?.id,
      `${context}: key ${key}`,
    );
  }
}

describe('patchPlugins', () => {
  it('gives what a full compile gives, after random deltas of plugins, routes, consumers and credentials', () => {
    const next = random(16);
    for (let sequence = 0; sequence < 20; sequence++) {
      let content: Content = new Map();
      let plugins = compilePlugins(routesOf(content), content, options);
      for (let version = 1; version <= 40; version++) {
        const changes: (ContentChange & { value?: Entity })[] = [];
        for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
          const change = randomChange(next);
          if (!keepsPluginsUnique(apply(content, changes), change)) continue;
          changes.push(change);
        }
        content = apply(content, changes);
        plugins = patchPlugins(plugins, content, changes, options);
        const full = compilePlugins(routesOf(content), content, options);
        assertSame(plugins, full, content, `sequence ${sequence}, version ${version}:`);
      }
    }
  });
});

describe('a one-route delta on 10k routes with plugins on every route', () => {
  const ROUTES = 10_000;
  function bigConfig(): Content {
    const routes = new Map<string, Entity>();
    const plugins = new Map<string, Entity>();
    for (let i = 0; i < ROUTES; i++) {
      routes.set(`r${i}`, { id: `r${i}`, service: { id: `s${i % 10}` } });
      plugins.set(`p${i}`, { id: `p${i}`, name: 'auth', route: { id: `r${i}` }, config: { n: i } });
    }
    plugins.set('limit-s3', { id: 'limit-s3', name: 'limit', service: { id: 's3' }, config: {} });
    return new Map([
      ['routes', routes],
      ['plugins', plugins],
    ]);
  }

  it('recompiles only the touched chains: one route, one route plugin, one service plugin', () => {
    let content = bigConfig();
    let plugins = compilePlugins(routesOf(content), content, options);
    assert.equal(plugins.compiledChains, ROUTES + 1);

    const route: ContentChange & { value?: Entity } = {
      entity: 'routes',
      id: 'r5',
      value: { id: 'r5', service: { id: 's6' }, paths: ['/moved'] },
    };
    content = apply(content, [route]);
    plugins = patchPlugins(plugins, content, [route], options);
    assert.equal(plugins.compiledChains, 1);

    const plugin = {
      entity: 'plugins',
      id: 'p7',
      value: { id: 'p7', name: 'auth', route: { id: 'r7' }, config: { n: -1 } },
    };
    const cacheBefore = (plugins.chains.get('r7') as CompiledChain).entries[0]!.base!.cache;
    cacheBefore.set('verified', true);
    content = apply(content, [plugin]);
    plugins = patchPlugins(plugins, content, [plugin], options);
    assert.equal(plugins.compiledChains, 1);
    const after = (plugins.chains.get('r7') as CompiledChain).entries[0]!.base!;
    assert.deepEqual(after.conf, { n: -1 });
    // ctx.cache belongs to the instance id: the new config keeps it.
    assert.equal(after.cache, cacheBefore);

    // A service-scoped instance: the service's chain and its routes' own chains (1000 of 10k).
    const ofService = {
      entity: 'plugins',
      id: 'limit-s3',
      value: { id: 'limit-s3', name: 'limit', service: { id: 's3' }, config: { n: 1 } },
    };
    content = apply(content, [ofService]);
    plugins = patchPlugins(plugins, content, [ofService], options);
    assert.equal(plugins.compiledChains, 1 + ROUTES / 10);

    // A consumer change touches no chain at all, only the entity lookup.
    const consumer = { entity: 'consumers', id: 'c1', value: { id: 'c1', username: 'ann' } };
    content = apply(content, [consumer]);
    plugins = patchPlugins(plugins, content, [consumer], options);
    assert.equal(plugins.compiledChains, 0);
    assert.equal(plugins.db.findBy('consumers', 'username', 'ann')?.id, 'c1');

    assertSame(plugins, compilePlugins(routesOf(content), content, options), content, 'after the deltas:');
  });

  it('keeps every instance id cache, and unchanged instances whole, through a full compile', () => {
    const content = bigConfig();
    const first = compilePlugins(routesOf(content), content, options);
    const instance = (first.chains.get('r1') as CompiledChain).entries[0]!.base!;
    instance.cache.set('verified', true);
    const again = compilePlugins(routesOf(content), content, options, first);
    assert.equal((again.chains.get('r1') as CompiledChain).entries[0]!.base, instance);
    const copy = apply(content, []);
    copy.set('plugins', new Map([...copy.get('plugins')!].map(([id, p]) => [id, { ...p }])));
    const resynced = compilePlugins(routesOf(copy), copy, options, again);
    const renewed = (resynced.chains.get('r1') as CompiledChain).entries[0]!.base!;
    assert.notEqual(renewed, instance);
    assert.equal(renewed.cache.get('verified'), true);
  });
});
