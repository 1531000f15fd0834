import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, needsRehash, verifyPassword } from './password.ts';

test('a password verifies against its own hash and no other password does', async () => {
  const hash = await hashPassword('correct horse');
  assert.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('correct horsf', hash), false);
  assert.equal(await verifyPassword('', hash), false);
});

test('two hashes of one password differ by their random salt', async () => {
  const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('same', b), true);
});

test('a malformed or abusive hash never verifies', async () => {
  const hash = await hashPassword('pw');
  assert.equal(await verifyPassword('pw', 'pw'), false);
  assert.equal(await verifyPassword('pw', hash.replace('ln=15', 'ln=30')), false, 'N beyond the limit');
  assert.equal(await verifyPassword('pw', hash.replace('$scrypt$', '$argon2id$')), false);
  assert.equal(await verifyPassword('pw', hash.slice(0, -4)), false, 'a truncated hash');
});

test('hashes with weaker parameters than the current ones need a rehash', async () => {
  assert.equal(needsRehash(await hashPassword('pw')), false);
  assert.equal(needsRehash((await hashPassword('pw')).replace('ln=15', 'ln=12')), true);
  assert.equal(needsRehash('garbage'), true);
});
