import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigInvalidError, SyncedEntityError } from '@turnpike/shared';
import { generateClusterCertificate } from '@turnpike/shared/cluster';
import { type EntityName, validateEntity } from '@turnpike/shared/schema';
import { applyDelta, type ConfigChange, hashConfig, type VersionedConfig } from '@turnpike/shared/sync';
import type { Dispatcher } from 'undici';
import { BalancerRegistry } from '../balancer/registry.ts';
import type { UpstreamBalancer } from '../balancer/upstream-balancer.ts';
import { type DispatcherSource, findCertificate } from '../runtime/index.ts';
import { ConfigApplier } from './applier.ts';

const dispatchers: DispatcherSource = {
  dispatcherFor: (service) => ({ host: service.host, port: service.port }) as unknown as Dispatcher,
};

const IDS = {
  service: '00000000-0000-4000-8000-000000000001',
  route: '00000000-0000-4000-8000-000000000002',
  upstream: '00000000-0000-4000-8000-000000000003',
  a: '00000000-0000-4000-8000-00000000000a',
  b: '00000000-0000-4000-8000-00000000000b',
  plugin: '00000000-0000-4000-8000-00000000000c',
};

function stored(type: EntityName, input: Record<string, unknown>): Record<string, unknown> {
  const result = validateEntity(type, input, { operation: 'insert', now: 1_700_000_000 });
  assert.ok(result.ok, JSON.stringify(result));
  return result.value as Record<string, unknown>;
}

const UPSTREAM = stored('upstreams', {
  id: IDS.upstream,
  name: 'backend.internal',
  healthchecks: { passive: { unhealthy: { tcp_failures: 3 } } },
});
const TARGET_A = stored('targets', { id: IDS.a, target: '10.0.0.1:80', upstream: { id: IDS.upstream } });
const TARGET_B = stored('targets', { id: IDS.b, target: '10.0.0.2:80', upstream: { id: IDS.upstream } });

function version(
  n: number,
  entities: Partial<Record<EntityName, Record<string, unknown>[]>>,
): VersionedConfig {
  const config = new Map<string, Map<string, unknown>>();
  for (const [type, list] of Object.entries(entities))
    config.set(type, new Map(list.map((e) => [e.id as string, e])));
  return { version: n, hash: hashConfig(config), config };
}

const SERVICE = stored('services', { id: IDS.service, host: 'backend.internal' });
const ROUTE = stored('routes', { id: IDS.route, paths: ['/'], service: { id: IDS.service } });

/** Version `n`: the service, its route and upstream, with `targets` and any `extra` entities. */
function balanced(n: number, targets: Record<string, unknown>[], extra = {}): VersionedConfig {
  return version(n, { services: [SERVICE], routes: [ROUTE], upstreams: [UPSTREAM], targets, ...extra });
}

const V1 = balanced(1, [TARGET_A, TARGET_B]);

/** What a request or a report reads of a balancer, health counters included. */
function observed(balancer: UpstreamBalancer | undefined) {
  assert.ok(balancer !== undefined);
  return {
    spec: balancer.spec,
    targets: [...balancer.targets()].map((t) => [t.config.target, t.weight, t.peers.map((p) => p.key)]),
    peers: balancer.peers().map((p) => ({ key: p.key, state: { ...p.state } })),
  };
}

/** An applier on V1 whose balancer has one tcp failure counted against target B. */
function applierOnV1() {
  const balancers = new BalancerRegistry({ resolve: async () => [] });
  const applier = new ConfigApplier({ dispatchers, balancers });
  const runtime = applier.apply(V1);
  const balancer = runtime.upstreams.get(IDS.upstream)!;
  balancer.reportFailure(balancer.peers()[1]!, 'tcp');
  return { applier, balancers, runtime, balancer };
}

describe('ConfigApplier', () => {
  it('refuses a version that does not decode, or needs a plugin this node lacks, leaving the running one as it was', () => {
    const { applier, balancers, runtime, balancer } = applierOnV1();
    const before = observed(balancer);
    // Target B gone, target A reweighted with a corrupt weight.
    assert.throws(() => applier.apply(balanced(2, [{ ...TARGET_A, weight: 'heavy' }])), SyncedEntityError);
    // Target B gone and a plugin this node has not loaded.
    const plugin = { id: IDS.plugin, name: 'key-auth', enabled: true, config: {} };
    assert.throws(() => applier.apply(balanced(3, [TARGET_A], { plugins: [plugin] })), ConfigInvalidError);

    assert.equal(applier.runtime.current, runtime);
    assert.equal(applier.config, V1);
    assert.equal(runtime.upstreams.get(IDS.upstream), balancer);
    assert.deepEqual(observed(balancer), before);
    assert.equal(balancers.size, 1);
  });

  it('refuses a corrupt delta, and answers a stale one without compiling, keeping what it held', () => {
    const { applier, runtime, balancer } = applierOnV1();
    const before = observed(balancer);
    const corrupt: ConfigChange = {
      entity: 'targets',
      id: IDS.b,
      op: 'upsert',
      value: { ...TARGET_B, upstream: null },
    };
    const hash = applyDelta(V1.config, V1.hash, [corrupt]).hash;
    assert.throws(() => applier.applyDelta({ fromVersion: 1, version: 2, hash, changes: [corrupt] }), {
      message: `targets ${IDS.b} field upstream: required field missing`,
    });
    const removeB: ConfigChange = { entity: 'targets', id: IDS.b, op: 'delete' };
    assert.match(
      (applier.applyDelta({ fromVersion: 7, version: 8, hash, changes: [removeB] }) as { stale: string })
        .stale,
      /holds 1/,
    );
    assert.ok(
      'stale' in applier.applyDelta({ fromVersion: 1, version: 2, hash: 'other', changes: [removeB] }),
    );
    assert.equal(applier.runtime.current, runtime);
    assert.equal(applier.config, V1);
    assert.deepEqual(observed(balancer), before);
  });

  it('serves the previous balancers again when sent back to the previous version after a refusal elsewhere', () => {
    const { applier, runtime, balancer } = applierOnV1();
    const before = observed(balancer);
    const removeB: ConfigChange = { entity: 'targets', id: IDS.b, op: 'delete' };
    const hash = applyDelta(V1.config, V1.hash, [removeB]).hash;
    const second = applier.applyDelta({ fromVersion: 1, version: 2, hash, changes: [removeB] });
    assert.ok(!('stale' in second));
    assert.deepEqual(
      [...second.upstreams.get(IDS.upstream)!.targets()].map((t) => t.config.target),
      ['10.0.0.1:80'],
    );
    // The worker pool's revert: the previous configuration, whole, as a copy.
    const back = applier.apply(structuredClone(V1));
    assert.notEqual(back, runtime);
    assert.equal(back.upstreams.get(IDS.upstream), balancer);
    assert.deepEqual(observed(balancer), before);
  });
});

const VAULT_IDS = {
  certificate: '00000000-0000-4000-8000-0000000000c1',
  sni: '00000000-0000-4000-8000-0000000000c2',
  vault: '00000000-0000-4000-8000-0000000000c3',
  service: '00000000-0000-4000-8000-0000000000c4',
};

const pair = await generateClusterCertificate({ commonName: 'vault.example.test', days: 1 });
const ENV = { SITE_CERT: pair.certPem, SITE_KEY: pair.keyPem };

const vault = (prefix: string) =>
  stored('vaults', { id: VAULT_IDS.vault, prefix: 'site', name: 'env', config: { prefix } });
const CERTIFICATE = stored('certificates', {
  id: VAULT_IDS.certificate,
  cert: '{vault://site/cert}',
  key: '{vault://site/key}',
});
const SNI = stored('snis', {
  id: VAULT_IDS.sni,
  name: 'vault.example.test',
  certificate: { id: VAULT_IDS.certificate },
});
const VAULTED = version(1, { vaults: [vault('SITE_')], certificates: [CERTIFICATE], snis: [SNI] });

describe('ConfigApplier: vault references', () => {
  it('serves a certificate whose PEM blocks come from the environment, holding the synced config as sent', () => {
    const applier = new ConfigApplier({ dispatchers, environment: ENV });
    const runtime = applier.apply(VAULTED);
    assert.deepEqual(runtime.problems, []);
    assert.ok(findCertificate(runtime.certificates, 'vault.example.test'));
    // The held config is the control plane's: its hash, its references.
    assert.equal(applier.config?.hash, hashConfig(VAULTED.config));
    const held = applier.config?.config.get('certificates')?.get(VAULT_IDS.certificate) as { key: string };
    assert.equal(held.key, '{vault://site/key}');
  });

  it('a delta builds on the control plane’s hash, and resolves the entities it changes', () => {
    const applier = new ConfigApplier({ dispatchers, environment: ENV });
    applier.apply(VAULTED);
    const service = stored('services', { id: VAULT_IDS.service, host: 'backend.internal' });
    const changes: ConfigChange[] = [
      { entity: 'services', id: VAULT_IDS.service, op: 'upsert', value: service },
    ];
    const next = applyDelta(VAULTED.config, VAULTED.hash, changes);
    const runtime = applier.applyDelta({ fromVersion: 1, version: 2, hash: next.hash, changes });
    assert.ok(!('stale' in runtime), JSON.stringify(runtime));
    assert.ok(findCertificate(runtime.certificates, 'vault.example.test'));
    assert.equal(applier.config?.hash, next.hash);
  });

  it('a changed vault resolves every reference again; what is missing is reported, not refused', () => {
    const applier = new ConfigApplier({ dispatchers, environment: ENV });
    applier.apply(VAULTED);
    const changes: ConfigChange[] = [
      { entity: 'vaults', id: VAULT_IDS.vault, op: 'upsert', value: vault('OTHER_') },
    ];
    const next = applyDelta(VAULTED.config, VAULTED.hash, changes);
    const runtime = applier.applyDelta({ fromVersion: 1, version: 2, hash: next.hash, changes });
    assert.ok(!('stale' in runtime));
    assert.equal(runtime.version, 2);
    assert.equal(findCertificate(runtime.certificates, 'vault.example.test'), undefined);
    const messages = runtime.problems.map((p) => p.message);
    assert.ok(
      messages.includes(
        `certificates ${VAULT_IDS.certificate} cert: unable to resolve reference {vault://site/cert} (could not get value from external vault (no value found))`,
      ),
      messages.join('\n'),
    );
    assert.equal(applier.config?.hash, next.hash);
  });
});
