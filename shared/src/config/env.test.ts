import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { buildConfig, type LoadedConfig } from './build.ts';
import { envFilePaths } from './env.ts';
import { OVERRIDDEN_MESSAGE } from './warnings.ts';

function load(env: Record<string, string>, files = new Map<string, string | Error>()): LoadedConfig {
  return buildConfig({ env, envFiles: files, cwd: '/srv' });
}

function problems(env: Record<string, string>, files = new Map<string, string | Error>()): ConfigProblem[] {
  try {
    load(env, files);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return [...error.problems];
    throw error;
  }
  return [];
}

/**
 * The environment of Kong's Docker install guide ("Install Kong Gateway on Docker",
 * docs.konghq.com/gateway/3.10.x/install/docker/), as a docker-kong user already has it.
 */
const KONG_DOCKER_DOCS_ENV = {
  KONG_DATABASE: 'postgres',
  KONG_PG_HOST: 'kong-database',
  KONG_PG_USER: 'kong',
  KONG_PG_PASSWORD: 'kongpass',
  KONG_PROXY_ACCESS_LOG: '/dev/stdout',
  KONG_ADMIN_ACCESS_LOG: '/dev/stdout',
  KONG_PROXY_ERROR_LOG: '/dev/stderr',
  KONG_ADMIN_ERROR_LOG: '/dev/stderr',
  KONG_ADMIN_LISTEN: '0.0.0.0:8001, 0.0.0.0:8444 ssl',
  KONG_ADMIN_GUI_URL: 'http://localhost:8002',
  // `-e KONG_LICENSE_DATA`: Kong Enterprise's licence, passed through from the shell.
  KONG_LICENSE_DATA: '',
};

describe('KONG_* variables', () => {
  it("run the environment of Kong's Docker guide, with the admin token Turnpike asks of a public Admin API", () => {
    assert.deepEqual(
      problems(KONG_DOCKER_DOCS_ENV).map((p) => `${p.key} (from ${p.source})`),
      ['admin_token (from KONG_ADMIN_LISTEN)'],
    );
    const { config, sources, warnings } = load({ ...KONG_DOCKER_DOCS_ENV, KONG_ADMIN_TOKEN: 'a-token' });
    assert.equal(config.database, 'postgres');
    assert.equal(config.pg_host, 'kong-database');
    assert.equal(sources.pg_host, 'KONG_PG_HOST');
    assert.equal(config.pg_password, 'kongpass');
    assert.deepEqual(config.admin_gui_url, ['http://localhost:8002'], 'Turnpike serves an Admin GUI too');
    assert.deepEqual(
      config.admin_listen.map((l) => `${l.host}:${l.port}${l.ssl ? ' ssl' : ''}`),
      ['0.0.0.0:8001', '0.0.0.0:8444 ssl'],
    );
    // The guide's log destinations are applied as Kong's: nothing is ignored.
    assert.deepEqual(warnings, []);
    assert.equal(config.proxy_access_log, '/dev/stdout');
    assert.equal(config.admin_error_log, '/dev/stderr');
  });

  it('lose to TURNPIKE_* naming the same key, with a warning naming both', () => {
    const { config, sources, warnings } = load({ KONG_PG_HOST: 'kong-db', TURNPIKE_PG_HOST: 'turnpike-db' });
    assert.equal(config.pg_host, 'turnpike-db');
    assert.equal(sources.pg_host, 'TURNPIKE_PG_HOST');
    assert.deepEqual(warnings, [
      {
        message: OVERRIDDEN_MESSAGE,
        settings: [{ key: 'pg_host', source: 'TURNPIKE_PG_HOST', detail: 'KONG_PG_HOST is not used' }],
      },
    ]);
  });

  it('lose to TURNPIKE_* under another of the key’s names too', () => {
    const { config, warnings } = load({ KONG_NGINX_WORKER_PROCESSES: '8', TURNPIKE_WORKER_PROCESSES: '2' });
    assert.equal(config.worker_processes, 2);
    assert.equal(warnings[0]?.settings[0]?.detail, 'KONG_NGINX_WORKER_PROCESSES is not used');
  });

  it('are errors naming the KONG_* variable when invalid', () => {
    assert.deepEqual(problems({ KONG_PG_PORT: 'fivefour' }), [
      {
        key: 'pg_port',
        source: 'KONG_PG_PORT',
        message: "invalid value 'fivefour': expected an integer from 1 to 65535",
      },
    ]);
  });

  it('read KONG_<KEY>_FILE as docker-kong’s entrypoint does, and refuse it beside KONG_<KEY>', () => {
    const files = new Map([['/run/secrets/pg', 'from-a-secret\n']]);
    const env = { KONG_PG_PASSWORD_FILE: '/run/secrets/pg' };
    assert.deepEqual(envFilePaths(env), ['/run/secrets/pg']);
    const { config, sources } = load(env, files);
    assert.equal(config.pg_password, 'from-a-secret');
    assert.equal(sources.pg_password, 'KONG_PG_PASSWORD_FILE (/run/secrets/pg)');
    const [problem] = problems({ ...env, KONG_PG_PASSWORD: 'x' }, files);
    assert.equal(problem?.key, 'pg_password');
    assert.equal(problem?.message, 'both KONG_PG_PASSWORD and KONG_PG_PASSWORD_FILE are set: set only one');
  });

  it('follow the rules of Kong-only keys: aliases applied, ignored ones listed, refused ones named', () => {
    const { config, warnings } = load({ KONG_NGINX_WORKER_PROCESSES: '2', KONG_NGINX_DAEMON: 'off' });
    assert.equal(config.worker_processes, 2);
    assert.deepEqual(
      warnings[0]?.settings.map((s) => `${s.key} (from ${s.source})`),
      ['nginx_daemon (from KONG_NGINX_DAEMON)'],
    );
    assert.deepEqual(problems({ KONG_CLUSTER_OCSP: 'off' }), []);
    assert.deepEqual(problems({ KONG_CLUSTER_OCSP: 'on' }), [
      {
        key: 'cluster_ocsp',
        source: 'KONG_CLUSTER_OCSP',
        message: 'not supported yet: OCSP checks of data plane certificates',
      },
    ]);
    // TURNPIKE_<Kong key> follows the same rules.
    assert.equal(problems({ TURNPIKE_CLUSTER_OCSP: 'on' })[0]?.source, 'TURNPIKE_CLUSTER_OCSP');
  });

  it('that name no key are not configuration, as Kong ignores them (Kubernetes sets KONG_PORT_… for a service named kong)', () => {
    const { config, warnings } = load({
      KONG_VERSION: '3.10.0',
      KONG_PORT_8000_TCP: 'tcp://10.0.0.1:8000',
      KONG_pg_host: 'lowercase-is-not-read',
    });
    assert.equal(config.pg_host, '127.0.0.1');
    assert.deepEqual(warnings, []);
  });
});
