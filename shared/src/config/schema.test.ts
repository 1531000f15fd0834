import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SECRET_KEYS } from '../log.ts';
import { CONFIG_KEYS, SECRET_CONFIG_KEYS, TurnpikeConfigSchema } from './schema.ts';

describe('the config schema', () => {
  it('describes every key, and marks the Kratos/Kong secrets as secret', () => {
    for (const key of CONFIG_KEYS) assert.ok(key.description.length > 10, key.name);
    for (const name of [
      'dsn',
      'pg_password',
      'admin_token',
      'cluster_cert_key',
      'ssl_cert_key',
      'secrets_default',
    ]) {
      assert.ok(SECRET_CONFIG_KEYS.has(name as never), name);
    }
  });

  it('has every secret key in the logger’s redaction list, so a logged config hides it', () => {
    const redacted = new Set<string>(SECRET_KEYS);
    assert.deepEqual(
      [...SECRET_CONFIG_KEYS].filter((k) => !redacted.has(k)),
      [],
    );
  });

  it('makes a key optional exactly when it has no default and is not a list', () => {
    const required = new Set<string>(TurnpikeConfigSchema.required ?? []);
    for (const key of CONFIG_KEYS) {
      const isList = key.kind === 'list' || key.kind === 'listen';
      assert.equal(required.has(key.name), key.default !== undefined || isList, key.name);
    }
  });

  it('has no key whose environment variable could be read as another key’s _FILE variable', () => {
    const names = new Set(CONFIG_KEYS.map((k) => k.name));
    assert.deepEqual(
      CONFIG_KEYS.filter((k) => names.has(`${k.name}_file` as never)).map((k) => k.name),
      [],
    );
  });

  it('uses snake_case key names, as kong.conf does', () => {
    for (const key of CONFIG_KEYS) assert.match(key.name, /^[a-z][a-z0-9_]*$/);
  });
});
