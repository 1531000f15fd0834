import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configRecord, definePluginSchema } from '@turnpike/shared/schema';
import { VaultResolver } from './vault-references.ts';

const ENV = {
  TLS_CERT: 'the-cert',
  MY_SECRET: 'plain',
  MY_SECRET_PREVIOUS: 'older',
  APP_DB_PASSWORD: 'from-prefix',
  SSL_KEY: 'from-override',
  BUNDLE: '{"user":"alice","port":5432}',
};

const VAULT = { id: 'v1', prefix: 'my-vault', name: 'env', config: { prefix: 'APP_' } };

function resolve(reference: string, env: Record<string, string> = ENV) {
  const resolver = new VaultResolver(env, [VAULT]);
  const value = resolver.secret(reference, 'cert');
  return { value, problems: resolver.problems.map((p) => p.message) };
}

describe('VaultResolver: the env vault, as kong/vaults/env', () => {
  it('reads the variable named by the reference: dashes as underscores, upper case', () => {
    assert.deepEqual(resolve('{vault://env/tls-cert}'), { value: 'the-cert', problems: [] });
    assert.deepEqual(resolve('{vault://env/my_secret}'), { value: 'plain', problems: [] });
  });

  it('version 2 reads <NAME>_PREVIOUS, version 1 the variable itself', () => {
    assert.equal(resolve('{vault://env/my-secret#2}').value, 'older');
    assert.equal(resolve('{vault://env/my-secret#1}').value, 'plain');
  });

  it('a vaults entity is found by its prefix and lends its config.prefix', () => {
    assert.equal(resolve('{vault://my-vault/db-password}').value, 'from-prefix');
  });

  it('?prefix= overrides the vault’s prefix; an invalid override counts as none', () => {
    assert.equal(resolve('{vault://my-vault/key?prefix=SSL_}').value, 'from-override');
    assert.equal(resolve('{vault://env/my-secret?prefix=9bad}').value, 'plain');
  });

  it('/key reads that field of the JSON object the variable holds', () => {
    assert.equal(resolve('{vault://env/bundle/user}').value, 'alice');
    assert.deepEqual(resolve('{vault://env/bundle/port}').problems, [
      'cert: unable to resolve reference {vault://env/bundle/port} (could not get value from external vault (could not get subfield value: unexpected number value in JSON secret for subfield port))',
    ]);
    assert.match(
      resolve('{vault://env/bundle/nope}').problems[0] ?? '',
      /subfield nope not found in JSON secret/,
    );
    assert.match(
      resolve('{vault://env/my-secret/x}').problems[0] ?? '',
      /unable to json decode value \(nil\)/,
    );
  });

  it('what cannot be resolved is "" and Kong’s message, never the value of another', () => {
    assert.deepEqual(resolve('{vault://env/missing}'), {
      value: '',
      problems: [
        'cert: unable to resolve reference {vault://env/missing} (could not get value from external vault (no value found))',
      ],
    });
    assert.deepEqual(resolve('{vault://nowhere/x}').problems, [
      'cert: unable to resolve reference {vault://nowhere/x} (could not find vault (nowhere))',
    ]);
    assert.match(resolve('{vault://env}').problems[0] ?? '', /reference url is missing path/);
  });
});

describe('VaultResolver: entities', () => {
  const certificate = {
    id: 'c1',
    cert: '{vault://env/tls-cert}',
    key: 'a real key',
    cert_alt: null,
    key_alt: null,
    tags: ['{vault://env/tls-cert}'],
  };

  it('resolves the referenceable fields only, and copies the entity instead of changing it', () => {
    const resolver = new VaultResolver(ENV, []);
    const resolved = resolver.resolve('certificates', 'c1', certificate);
    assert.notEqual(resolved, certificate);
    assert.equal(resolved.cert, 'the-cert');
    assert.equal(resolved.key, 'a real key');
    assert.deepEqual(resolved.tags, ['{vault://env/tls-cert}'], 'tags are not referenceable');
    assert.equal(certificate.cert, '{vault://env/tls-cert}', 'the synced entity keeps its reference');
  });

  it('an entity without references is returned as it is', () => {
    const resolver = new VaultResolver(ENV, []);
    const plain = { ...certificate, cert: 'pem' };
    assert.equal(resolver.resolve('certificates', 'c1', plain), plain);
    const service = { id: 's1', host: '{vault://env/tls-cert}' };
    assert.equal(resolver.resolve('services', 's1', service), service);
  });

  it('a plugin’s config fields its schema marks referenceable are resolved, nested ones too', () => {
    const schema = definePluginSchema({
      name: 'custom',
      fields: {
        config: configRecord({
          token: { type: 'string', referenceable: true },
          plain: { type: 'string' },
          upstream: { type: 'record', fields: { password: { type: 'string', referenceable: true } } },
          keys: { type: 'array', elements: { type: 'string', referenceable: true } },
        }),
      },
    });
    const resolver = new VaultResolver(ENV, [VAULT], (name) => (name === 'custom' ? schema : undefined));
    const plugin = {
      id: 'p1',
      name: 'custom',
      config: {
        token: '{vault://env/my-secret}',
        plain: '{vault://env/my-secret}',
        upstream: { password: '{vault://my-vault/db-password}' },
        keys: ['k', '{vault://env/tls-cert}'],
      },
    };
    const resolved = resolver.resolve('plugins', 'p1', plugin);
    assert.deepEqual(resolved.config, {
      token: 'plain',
      plain: '{vault://env/my-secret}',
      upstream: { password: 'from-prefix' },
      keys: ['k', 'the-cert'],
    });
    assert.equal(plugin.config.token, '{vault://env/my-secret}');
    assert.deepEqual(resolver.problems, []);
  });

  it('names the entity and field of a reference it could not resolve', () => {
    const resolver = new VaultResolver({}, []);
    resolver.resolve('certificates', 'c1', certificate);
    assert.deepEqual(
      resolver.problems.map((p) => p.message),
      [
        'certificates c1 cert: unable to resolve reference {vault://env/tls-cert} (could not get value from external vault (no value found))',
      ],
    );
  });
});
