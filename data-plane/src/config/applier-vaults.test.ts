import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateClusterCertificate } from '@turnpike/shared/cluster';
import { type EntityName, validateEntity } from '@turnpike/shared/schema';
import { applyDelta, type ConfigChange, hashConfig, type VersionedConfig } from '@turnpike/shared/sync';
import type { Dispatcher } from 'undici';
import { findCertificate } from '../runtime/index.ts';
import { ConfigApplier } from './applier.ts';

const dispatchers = {
  dispatcherFor: (service: { host: string; port: number }) =>
    ({ host: service.host, port: service.port }) as unknown as Dispatcher,
};

const IDS = {
  certificate: '00000000-0000-4000-8000-0000000000c1',
  sni: '00000000-0000-4000-8000-0000000000c2',
  vault: '00000000-0000-4000-8000-0000000000c3',
  service: '00000000-0000-4000-8000-0000000000c4',
};

function stored(type: EntityName, input: Record<string, unknown>): Record<string, unknown> {
  const result = validateEntity(type, input, { operation: 'insert', now: 1_700_000_000 });
  assert.ok(result.ok, JSON.stringify(result));
  return result.value as Record<string, unknown>;
}

function version(
  n: number,
  entities: Partial<Record<EntityName, Record<string, unknown>[]>>,
): VersionedConfig {
  const config = new Map<string, Map<string, unknown>>();
  for (const [type, list] of Object.entries(entities))
    config.set(type, new Map(list.map((e) => [e.id as string, e])));
  return { version: n, hash: hashConfig(config), config };
}

const pair = await generateClusterCertificate({ commonName: 'vault.example.test', days: 1 });
const ENV = { SITE_CERT: pair.certPem, SITE_KEY: pair.keyPem };

const vault = (prefix: string) =>
  stored('vaults', { id: IDS.vault, prefix: 'site', name: 'env', config: { prefix } });
const CERTIFICATE = stored('certificates', {
  id: IDS.certificate,
  cert: '{vault://site/cert}',
  key: '{vault://site/key}',
});
const SNI = stored('snis', { id: IDS.sni, name: 'vault.example.test', certificate: { id: IDS.certificate } });
const V1 = version(1, { vaults: [vault('SITE_')], certificates: [CERTIFICATE], snis: [SNI] });

describe('ConfigApplier: vault references', () => {
  it('serves a certificate whose PEM blocks come from the environment, holding the synced config as sent', () => {
    const applier = new ConfigApplier({ dispatchers, environment: ENV });
    const runtime = applier.apply(V1);
    assert.deepEqual(runtime.problems, []);
    assert.ok(findCertificate(runtime.certificates, 'vault.example.test'));
    // The held config is the control plane's: its hash, its references.
    assert.equal(applier.config?.hash, hashConfig(V1.config));
    const held = applier.config?.config.get('certificates')?.get(IDS.certificate) as { key: string };
    assert.equal(held.key, '{vault://site/key}');
  });

  it('a delta builds on the control plane’s hash, and resolves the entities it changes', () => {
    const applier = new ConfigApplier({ dispatchers, environment: ENV });
    applier.apply(V1);
    const service = stored('services', { id: IDS.service, host: 'backend.internal' });
    const changes: ConfigChange[] = [{ entity: 'services', id: IDS.service, op: 'upsert', value: service }];
    const next = applyDelta(V1.config, V1.hash, changes);
    const runtime = applier.applyDelta({ fromVersion: 1, version: 2, hash: next.hash, changes });
    assert.ok(!('stale' in runtime), JSON.stringify(runtime));
    assert.ok(findCertificate(runtime.certificates, 'vault.example.test'));
    assert.equal(applier.config?.hash, next.hash);
  });

  it('a changed vault resolves every reference again; what is missing is reported, not refused', () => {
    const applier = new ConfigApplier({ dispatchers, environment: ENV });
    applier.apply(V1);
    const changes: ConfigChange[] = [
      { entity: 'vaults', id: IDS.vault, op: 'upsert', value: vault('OTHER_') },
    ];
    const next = applyDelta(V1.config, V1.hash, changes);
    const runtime = applier.applyDelta({ fromVersion: 1, version: 2, hash: next.hash, changes });
    assert.ok(!('stale' in runtime));
    assert.equal(runtime.version, 2);
    assert.equal(findCertificate(runtime.certificates, 'vault.example.test'), undefined);
    const messages = runtime.problems.map((p) => p.message);
    assert.ok(
      messages.includes(
        `certificates ${IDS.certificate} cert: unable to resolve reference {vault://site/cert} (could not get value from external vault (no value found))`,
      ),
      messages.join('\n'),
    );
    assert.equal(applier.config?.hash, next.hash);
  });
});
