import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFromEntities } from '@turnpike/shared/sync';
import { checkPluginSet, missingPlugins } from './plugin-set.ts';

const config = (plugins: { id: string; name: string; enabled?: boolean }[]) => ({
  version: 2,
  hash: 'h',
  config: configFromEntities({ plugins }),
});

describe('the plugin set a configuration needs', () => {
  const installed = new Set(['key-auth', 'acl']);

  it('names every plugin a whole configuration uses that this data plane lacks, disabled ones too', () => {
    const next = config([
      { id: 'a', name: 'key-auth' },
      { id: 'b', name: 'greeting', enabled: false },
      { id: 'c', name: 'stamp' },
      { id: 'd', name: 'greeting' },
    ]);
    assert.deepEqual(missingPlugins(next, undefined, installed), ['greeting', 'stamp']);
    assert.throws(
      () => checkPluginSet(next, undefined, installed),
      (err: Error & { code?: string; missing?: string[] }) => {
        assert.equal(err.code, 'TP_PLUGIN_SET_INCOMPATIBLE');
        assert.deepEqual(err.missing, ['greeting', 'stamp']);
        assert.match(
          err.message,
          /^greeting plugin is in use but not enabled; stamp plugin is in use but not enabled: /,
        );
        assert.match(
          err.message,
          /the configuration uses plugins greeting, stamp, not installed on this data plane$/,
        );
        return true;
      },
    );
  });

  it('looks at a delta only in the plugins it changed', () => {
    const next = config([
      { id: 'a', name: 'key-auth' },
      { id: 'c', name: 'stamp' },
    ]);
    const touchingA = {
      fromVersion: 1,
      changes: [{ entity: 'plugins', id: 'a', op: 'upsert' as const, value: {} }],
    };
    const touchingC = {
      fromVersion: 1,
      changes: [{ entity: 'plugins', id: 'c', op: 'upsert' as const, value: {} }],
    };
    const deleting = { fromVersion: 1, changes: [{ entity: 'plugins', id: 'z', op: 'delete' as const }] };
    assert.deepEqual(missingPlugins(next, touchingA, installed), []);
    assert.deepEqual(missingPlugins(next, touchingC, installed), ['stamp']);
    assert.deepEqual(missingPlugins(next, deleting, installed), []);
    assert.doesNotThrow(() => checkPluginSet(config([]), undefined, installed));
  });
});
