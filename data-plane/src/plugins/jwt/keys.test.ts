import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { PublicKeys } from './keys.ts';

describe('jwt public keys', () => {
  it('parses a PEM once and hands out the same KeyObject after; a bad PEM is remembered as none', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keys = new PublicKeys(false);
    const first = keys.get(pem);
    assert.ok(first?.equals(publicKey));
    assert.equal(keys.get(pem), first);
    assert.equal(keys.get('not a key'), undefined);
    assert.equal(keys.get('not a key'), undefined);
    assert.equal(keys.size, 2);
    const encoded = new PublicKeys(true);
    assert.ok(encoded.get(Buffer.from(pem).toString('base64'))?.equals(publicKey));
  });
});
