import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigInvalidError, DatabaseError } from '@turnpike/shared';
import { createKeyring, isEncrypted } from './keyring.ts';

const OLD = 'old-secret-0123456789abcdef';
const NEW = 'new-secret-fedcba9876543210';

test('a value encrypted by the keyring decrypts back to the same text', async () => {
  const keyring = await createKeyring([OLD]);
  const sealed = keyring.encrypt('hunter2 ✓');
  assert.ok(isEncrypted(sealed));
  assert.match(sealed, /^tp1:[0-9a-f]{8}:[\w-]+:[\w-]+:[\w-]*$/);
  assert.ok(!sealed.includes('hunter2'));
  assert.equal(keyring.decrypt(sealed), 'hunter2 ✓');
  assert.notEqual(keyring.encrypt('hunter2 ✓'), sealed, 'a fresh IV each time');
  assert.equal(keyring.decrypt(keyring.encrypt('')), '');
});

test('the key id is stable across keyrings made from the same secret', async () => {
  const [a, b] = await Promise.all([createKeyring([OLD]), createKeyring([OLD])]);
  assert.deepEqual(a.keyIds, b.keyIds);
  assert.equal(b.decrypt(a.encrypt('shared')), 'shared');
});

test('after rotation old values still decrypt and new values use the new first key', async () => {
  const before = await createKeyring([OLD]);
  const oldValue = before.encrypt('from before');

  const rotated = await createKeyring([NEW, OLD]);
  assert.equal(rotated.decrypt(oldValue), 'from before');
  const newValue = rotated.encrypt('from after');
  assert.equal(newValue.split(':')[1], rotated.keyIds[0]);
  assert.notEqual(rotated.keyIds[0], before.keyIds[0]);

  const reencrypted = rotated.reencrypt(oldValue);
  assert.ok(reencrypted !== undefined);
  assert.equal(reencrypted.split(':')[1], rotated.keyIds[0]);
  assert.equal(rotated.reencrypt(newValue), undefined, 'already under the current key');

  const onlyNew = await createKeyring([NEW]);
  assert.equal(onlyNew.decrypt(reencrypted), 'from before');
});

test('a value sealed with a key no longer configured fails with a clear error naming the key id', async () => {
  const before = await createKeyring([OLD]);
  const sealed = before.encrypt('secret');
  const other = await createKeyring([NEW]);
  assert.throws(
    () => other.decrypt(sealed),
    (err) => {
      assert.ok(err instanceof ConfigInvalidError);
      assert.equal(err.problems[0]?.key, 'secrets_default');
      assert.match(err.message, new RegExp(`no key matches key id ${before.keyIds[0]}`));
      return true;
    },
  );
});

test('a tampered value, or one moved to another field, fails authentication', async () => {
  const keyring = await createKeyring([OLD]);
  const sealed = keyring.encrypt('secret', 'credentials.password');
  assert.equal(keyring.decrypt(sealed, 'credentials.password'), 'secret');
  assert.throws(() => keyring.decrypt(sealed, 'keyauth_credentials.key'), DatabaseError);
  const parts = sealed.split(':');
  const body = Buffer.from(parts[4] ?? '', 'base64url');
  body[0] = (body[0] ?? 0) ^ 1;
  parts[4] = body.toString('base64url');
  assert.throws(() => keyring.decrypt(parts.join(':'), 'credentials.password'), /authentication failed/);
  assert.throws(() => keyring.decrypt('plain text'), /not a tp1 value/);
});

test('a keyring needs at least one secret', async () => {
  await assert.rejects(createKeyring([]), ConfigInvalidError);
  await assert.rejects(createKeyring(['']), ConfigInvalidError);
});
