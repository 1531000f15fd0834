import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from './build.ts';
import { toPinoLevel } from './log-level.ts';
import { redactConfig } from './redact.ts';

describe('redactConfig', () => {
  it('replaces every set secret with ****** and leaves other keys and unset secrets alone', () => {
    const loaded = buildConfig({
      env: {
        TURNPIKE_DSN: 'postgres://u:pw@db/x',
        TURNPIKE_SECRETS_DEFAULT: '0123456789abcdef',
        TURNPIKE_SSL_CERT: '/a.crt',
        TURNPIKE_SSL_CERT_KEY: '/a.key',
      },
      cwd: '/',
    });
    // dsn and pg_password cannot both be loaded; redaction must still hide both.
    const redacted = redactConfig({ ...loaded.config, pg_password: 'pw' });
    assert.equal(redacted.dsn, '******');
    assert.equal(redacted.pg_password, '******');
    assert.equal(redacted.secrets_default, '******');
    assert.equal(redacted.ssl_cert_key, '******');
    assert.deepEqual(redacted.ssl_cert, ['/a.crt']);
    assert.equal(redacted.admin_token, undefined);
    assert.equal(redacted.pg_host, '127.0.0.1');
    assert.ok(!JSON.stringify(redacted).includes('pw'));
  });

  it('does not change the config it was given', () => {
    const { config } = buildConfig({ env: { TURNPIKE_ADMIN_TOKEN: 'tok' }, cwd: '/' });
    redactConfig(config);
    assert.equal(config.admin_token, 'tok');
  });
});

describe('toPinoLevel', () => {
  it('maps Kong’s nginx levels onto pino’s, notice being info and the severe ones fatal', () => {
    assert.deepEqual(
      (['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const).map(toPinoLevel),
      ['debug', 'info', 'info', 'warn', 'error', 'fatal', 'fatal', 'fatal'],
    );
  });
});
