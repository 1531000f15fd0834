import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePluginHandler } from '@turnpike/plugin-sdk';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { id, pluginEntity, runRequest } from '../../plugin-chain/test-support.ts';
import { blockedOrGroups } from './decide.ts';
import { handler } from './handler.ts';
import { schema } from './schema.ts';

const carol = { id: id('c'), username: 'carol' };
const groups = [
  { id: id('a'), consumer: { id: carol.id }, group: 'admin' },
  { id: id('a'), consumer: { id: carol.id }, group: 'dev' },
];
const login = definePluginHandler({
  name: 'login',
  version: '1.0.0',
  priority: 2000,
  access(ctx) {
    ctx.authenticate(carol, { id: 'cred' });
  },
});

function entities(config: Record<string, unknown>, withLogin = true) {
  return {
    consumers: [carol],
    acls: groups,
    plugins: [
      pluginEntity('acl', configOf(schema, config)),
      ...(withLogin ? [pluginEntity('login', {})] : []),
    ],
  };
}

describe('acl', () => {
  it('decides by allow or deny groups', () => {
    assert.equal(blockedOrGroups(['a', 'b'], ['b'], null), 'a, b');
    assert.equal(blockedOrGroups(['a'], ['b'], null), true);
    assert.equal(blockedOrGroups([], ['b'], null), true);
    assert.equal(blockedOrGroups(['a'], null, ['a']), true);
    assert.equal(blockedOrGroups([], null, ['a']), '');
  });

  it('lets an allowed consumer through and names its groups to the service', async () => {
    const r = await runRequest([login, handler], entities({ allow: ['admin'] }));
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-groups'], 'admin, dev');
  });

  it('hides the groups header when asked', async () => {
    const r = await runRequest([login, handler], entities({ allow: ['admin'], hide_groups_header: true }));
    assert.equal(r?.upstream['x-consumer-groups'], undefined);
  });

  it('answers 403 to a consumer outside the allowed groups or inside a denied one', async () => {
    for (const config of [{ allow: ['ops'] }, { deny: ['dev'] }]) {
      const r = await runRequest([login, handler], entities(config));
      assert.equal(r?.exit?.status, 403);
      assert.deepEqual(r?.json, { message: 'You cannot consume this service' });
    }
  });

  it('answers 401 when no consumer was identified', async () => {
    const r = await runRequest([handler], entities({ allow: ['admin'] }, false));
    assert.equal(r?.exit?.status, 401);
    assert.deepEqual(r?.json, { message: 'Unauthorized' });
  });

  it('refuses a config with both allow and deny', () => {
    assert.throws(
      () => configOf(schema, { allow: ['a'], deny: ['b'] }),
      /exactly one of these fields must be non-empty: 'config\.allow', 'config\.deny'/,
    );
  });
});
