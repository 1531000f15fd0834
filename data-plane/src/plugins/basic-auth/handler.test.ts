import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { hashPassword } from '@turnpike/shared';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { compileChain, id, openOn, pluginEntity, runRequest } from '../../plugin-chain/test-support.ts';
import { parseBasic } from './credentials.ts';
import { handler, verified } from './handler.ts';
import { schema } from './schema.ts';

const bob = { id: id('c'), username: 'bob' };
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('basic-auth', () => {
  let entities: (config?: Record<string, unknown>) => Record<string, Record<string, unknown>[]>;
  let credentialId: string;
  before(async () => {
    const credential = {
      id: id('b'),
      username: 'bob',
      password: await hashPassword('hunter2'),
      consumer: { id: bob.id },
    };
    credentialId = credential.id;
    entities = (config = {}) => ({
      consumers: [bob],
      basicauth_credentials: [credential],
      plugins: [pluginEntity('basic-auth', configOf(schema, config))],
    });
  });

  it('reads a Basic header value, splitting at the first colon', () => {
    assert.deepEqual(parseBasic(basic('u', 'p:w')), { username: 'u', password: 'p:w' });
    assert.equal(parseBasic('Bearer x'), undefined);
    assert.equal(parseBasic(undefined), undefined);
  });

  it('answers 401 Unauthorized with a challenge when no credentials are given', async () => {
    const r = await runRequest([handler], entities());
    assert.equal(r?.exit?.status, 401);
    assert.deepEqual(r?.json, { message: 'Unauthorized' });
    assert.ok(r?.exit?.headers.includes('Basic realm="service"'));
  });

  it('answers 401 for a wrong password or an unknown user', async () => {
    for (const header of [basic('bob', 'nope'), basic('eve', 'hunter2'), 'Basic !!!']) {
      const r = await runRequest([handler], entities(), { headers: [['Authorization', header]] });
      assert.deepEqual(r?.json, { message: 'Invalid authentication credentials' });
    }
  });

  it('authenticates the consumer and hides the credentials when asked', async () => {
    const r = await runRequest([handler], entities({ hide_credentials: true }), {
      headers: [['Authorization', basic('bob', 'hunter2')]],
    });
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-username'], 'bob');
    assert.equal(r?.upstream['x-credential-identifier'], credentialId);
    assert.equal(r?.upstream.authorization, undefined);
  });

  it('remembers a verified password for the instance, and only a verified one', async () => {
    const stored = await hashPassword('hunter2');
    const credential = { id: 'cred-1', password: stored };
    const ctx = { cache: new Map<string, unknown>() } as unknown as Parameters<typeof verified>[0];
    assert.equal(await verified(ctx, credential, 'wrong'), false);
    assert.equal((ctx.cache as Map<string, unknown>).size, 0);
    assert.equal(await verified(ctx, credential, 'hunter2'), true);
    assert.equal((ctx.cache as Map<string, unknown>).size, 1);
    // A cache hit answers without scrypt: a malformed stored hash would never verify otherwise.
    const [key] = [...(ctx.cache as Map<string, unknown>).keys()];
    (ctx.cache as Map<string, unknown>).set(key!, 'not-a-hash');
    assert.equal(await verified(ctx, { id: 'cred-1', password: 'not-a-hash' }, 'hunter2'), true);
    // The entry is tied to the stored hash: another hash for the same credential verifies again.
    assert.equal(
      await verified(ctx, { id: 'cred-1', password: await hashPassword('other') }, 'hunter2'),
      false,
    );
  });

  it('answers a password verified before without a promise; a first check awaits scrypt', async () => {
    const chain = compileChain([handler], entities());
    const request = { headers: [['Authorization', basic('bob', 'hunter2')]] as [string, string][] };
    const first = openOn(chain!, request);
    const pending = first.run.beforeProxy();
    assert.ok(pending instanceof Promise);
    await pending;
    assert.equal(first.run.consumerId, bob.id);
    const again = openOn(chain!, request);
    assert.equal(again.run.beforeProxy(), undefined);
    assert.equal(again.run.consumerId, bob.id);
  });
});
