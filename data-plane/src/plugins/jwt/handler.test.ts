import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { id, pluginEntity, runRequest } from '../../plugin-chain/test-support.ts';
import { handler } from './handler.ts';
import { schema } from './schema.ts';
import { checkClaims, decodeToken } from './token.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function hs256(claims: Record<string, unknown>, secret: string, alg = 'HS256'): string {
  const input = `${b64({ typ: 'JWT', alg })}.${b64(claims)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

const dave = { id: id('c'), username: 'dave' };
const secret = { id: id('j'), key: 'dave-key', secret: 'shh', algorithm: 'HS256', consumer: { id: dave.id } };
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const es = {
  id: id('j'),
  key: 'dave-es',
  algorithm: 'ES256',
  rsa_public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  consumer: { id: dave.id },
};
const now = () => Math.floor(Date.now() / 1000);

function entities(config: Record<string, unknown> = {}) {
  return {
    consumers: [dave],
    jwt_secrets: [secret, es],
    plugins: [pluginEntity('jwt', configOf(schema, config))],
  };
}

describe('jwt', () => {
  it('authenticates a valid HS256 token from the Authorization header', async () => {
    const token = hs256({ iss: 'dave-key', exp: now() + 60 }, 'shh');
    const r = await runRequest([handler], entities({ claims_to_verify: ['exp'] }), {
      headers: [['Authorization', `Bearer ${token}`]],
    });
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-username'], 'dave');
    assert.equal(r?.upstream['x-credential-identifier'], 'dave-key');
  });

  it('takes the token from the jwt query parameter', async () => {
    const token = hs256({ iss: 'dave-key' }, 'shh');
    const r = await runRequest([handler], entities(), { query: `jwt=${token}` });
    assert.equal(r?.exit, undefined);
  });

  it('answers 401 Unauthorized without a token', async () => {
    const r = await runRequest([handler], entities());
    assert.deepEqual([r?.exit?.status, r?.json], [401, { message: 'Unauthorized' }]);
  });

  it('refuses a bad signature, an expired token and an unknown key, in Kong words', async () => {
    const cases: [string, unknown][] = [
      [hs256({ iss: 'dave-key' }, 'wrong'), { message: 'Invalid signature' }],
      [hs256({ iss: 'dave-key', exp: now() - 1 }, 'shh'), { exp: 'token expired' }],
      [hs256({ iss: 'who' }, 'shh'), { message: "No credentials found for given 'iss'" }],
      [hs256({ sub: 'x' }, 'shh'), { message: "No mandatory 'iss' in claims" }],
      [hs256({ iss: 'dave-key' }, 'shh', 'HS512'), { message: 'Invalid algorithm' }],
      ['not.a.token', { message: 'Bad token; invalid JSON' }],
    ];
    for (const [token, body] of cases) {
      const r = await runRequest([handler], entities({ claims_to_verify: ['exp'] }), {
        headers: [['Authorization', `Bearer ${token}`]],
      });
      assert.equal(r?.exit?.status, 401);
      assert.deepEqual(r?.json, body, token);
    }
  });

  it("sends Kong's WWW-Authenticate: bare without a token, invalid_token otherwise, with the realm", async () => {
    const challenge = (r: Awaited<ReturnType<typeof runRequest>>) => {
      const h = r?.exit?.headers ?? [];
      const i = h.findIndex((v, j) => j % 2 === 0 && v.toLowerCase() === 'www-authenticate');
      return i === -1 ? undefined : h[i + 1];
    };
    const bad = {
      headers: [['Authorization', `Bearer ${hs256({ iss: 'dave-key' }, 'wrong')}`]] as [string, string][],
    };
    assert.equal(challenge(await runRequest([handler], entities())), 'Bearer');
    assert.equal(challenge(await runRequest([handler], entities(), bad)), 'Bearer error="invalid_token"');
    const realm = entities({ realm: 'test-jwt' });
    assert.equal(challenge(await runRequest([handler], realm)), 'Bearer realm="test-jwt"');
    assert.equal(
      challenge(await runRequest([handler], realm, bad)),
      'Bearer realm="test-jwt", error="invalid_token"',
    );
    const twice = await runRequest([handler], realm, { query: 'jwt=a&jwt=b' });
    assert.deepEqual(twice?.json, { message: 'Multiple tokens provided' });
    assert.equal(challenge(twice), 'Bearer realm="test-jwt", error="invalid_token"');
  });

  it('verifies an ES256 token with the credential public key', async () => {
    const input = `${b64({ typ: 'JWT', alg: 'ES256' })}.${b64({ iss: 'dave-es' })}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const good = await runRequest([handler], entities(), {
      headers: [['Authorization', `Bearer ${input}.${signature.toString('base64url')}`]],
    });
    assert.equal(good?.exit, undefined);
    const tampered = await runRequest([handler], entities(), {
      headers: [['Authorization', `Bearer ${input}.${Buffer.alloc(64).toString('base64url')}`]],
    });
    assert.deepEqual(tampered?.json, { message: 'Invalid signature' });
  });

  it('enforces maximum_expiration', async () => {
    const token = hs256({ iss: 'dave-key', exp: now() + 3600 }, 'shh');
    const r = await runRequest([handler], entities({ claims_to_verify: ['exp'], maximum_expiration: 60 }), {
      headers: [['Authorization', `Bearer ${token}`]],
    });
    assert.deepEqual(r?.json, { exp: 'exceeds maximum allowed expiration' });
  });

  it('checks nbf and claim types', () => {
    assert.deepEqual(checkClaims({ nbf: 200 }, ['nbf'], 100), { nbf: 'token not valid yet' });
    assert.deepEqual(checkClaims({ exp: '1' }, ['exp'], 100), { exp: 'must be a number' });
    assert.equal(checkClaims({ exp: 200 }, ['exp'], 100), undefined);
    assert.deepEqual(decodeToken('a.b'), { error: 'invalid JSON' });
  });

  it('requires exp in claims_to_verify when maximum_expiration is set', () => {
    assert.throws(() => configOf(schema, { maximum_expiration: 60, claims_to_verify: ['nbf'] }));
    assert.doesNotThrow(() => configOf(schema, { maximum_expiration: 60, claims_to_verify: ['exp'] }));
  });
});
