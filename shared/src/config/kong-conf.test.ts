import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { buildConfig, type LoadedConfig } from './build.ts';
import { IGNORED_MESSAGE } from './warnings.ts';

/** Kong 3.10's kong.conf.default, as Kong's packages install it in /etc/kong (see fixtures/kong-3.10). */
const KONG_CONF_DEFAULT = readFileSync(
  new URL('./fixtures/kong-3.10/kong.conf.default', import.meta.url),
  'utf8',
);

function load(text: string, env: Record<string, string> = {}): LoadedConfig {
  return buildConfig({ file: { path: '/etc/kong/kong.conf', text }, env, cwd: '/srv' });
}

function problems(text: string): ConfigProblem[] {
  try {
    load(text);
  } catch (error) {
    if (error instanceof ConfigInvalidError) return [...error.problems];
    throw error;
  }
  return [];
}

/** What a user does to kong.conf.default: uncomment every `#key = value` line. */
const EVERYTHING_SET = KONG_CONF_DEFAULT.split('\n')
  .map((line) => (/^#[a-z_0-9]+ *=/.test(line) ? line.slice(1) : line))
  .join('\n');

/** Replaces the value of a key's line, as a user edits a kong.conf. */
function edit(text: string, key: string, value: string): string {
  return text.replace(new RegExp(`^${key} *=.*$`, 'm'), `${key} = ${value}`);
}

const lineOf = (text: string, key: string) =>
  text.split('\n').findIndex((line) => new RegExp(`^${key} *=`).test(line)) + 1;

describe("Kong's own kong.conf", () => {
  it('accepts kong.conf.default as Kong ships it, with nothing to warn about', () => {
    const loaded = load(KONG_CONF_DEFAULT);
    assert.deepEqual(loaded.warnings, []);
    assert.equal(loaded.config.role, 'traditional');
  });

  it('with every setting uncommented, refuses only what Turnpike does not do, naming each line', () => {
    const found = problems(EVERYTHING_SET).map((p) => `${p.key} (from ${p.source}): ${p.message}`);
    assert.deepEqual(found.sort(), [
      // Turnpike has a default for these two, where Kong's file leaves them empty (unset).
      `cluster_control_plane (from kong.conf:${lineOf(EVERYTHING_SET, 'cluster_control_plane')}): must not be empty (default: 127.0.0.1:8005)`,
      `pg_pool_size (from kong.conf:${lineOf(EVERYTHING_SET, 'pg_pool_size')}): must not be empty (default: 10)`,
    ]);
  });

  it('once those are set as the messages say, refuses SRV in dns_order, then accepts the file with one warning', () => {
    let text = EVERYTHING_SET;
    text = edit(text, 'cluster_control_plane', '127.0.0.1:8005');
    text = edit(text, 'pg_pool_size', '10');
    assert.deepEqual(
      problems(text).map((p) => p.key),
      ['dns_order'],
    );
    text = edit(text, 'dns_order', 'LAST,A,CNAME');

    const loaded = load(text);
    assert.equal(loaded.config.prefix, '/usr/local/kong');
    assert.equal(loaded.config.database, 'postgres');
    assert.equal(loaded.config.pg_database, 'kong');
    assert.equal(loaded.config.worker_processes, 'auto');
    assert.equal(loaded.sources.worker_processes, `kong.conf:${lineOf(text, 'nginx_worker_processes')}`);
    assert.equal(loaded.config.client_max_body_size, 0);
    assert.equal(
      loaded.sources.client_max_body_size,
      `kong.conf:${lineOf(text, 'nginx_http_client_max_body_size')}`,
    );

    // mem_cache_size = 128m sizes proxy-cache's memory dictionaries here.
    assert.equal(loaded.config.mem_cache_size, 128 * 1024 * 1024);
    assert.equal(loaded.sources.mem_cache_size, `kong.conf:${lineOf(text, 'mem_cache_size')}`);

    assert.equal(loaded.warnings.length, 1, 'one warning for every ignored key');
    const [warning] = loaded.warnings;
    assert.equal(warning?.message, IGNORED_MESSAGE);
    const ignored = new Map(warning?.settings.map((s) => [s.key, s]));
    for (const key of [
      'nginx_user',
      'nginx_daemon',
      'db_cache_warmup_entities',
      'ssl_cipher_suite',
      'anonymous_reports',
      'lua_package_path',
      'lua_socket_pool_size',
      'pg_ro_host',
      'db_cache_ttl',
      'admin_gui_access_log',
    ]) {
      assert.equal(ignored.get(key)?.source, `kong.conf:${lineOf(text, key)}`, key);
      assert.ok((ignored.get(key)?.detail.length ?? 0) > 10, `${key} says why`);
    }
    for (const key of [
      'worker_processes',
      'nginx_worker_processes',
      'pg_host',
      'stream_listen',
      'router_flavor',
      'proxy_access_log',
      'admin_error_log',
    ]) {
      assert.equal(ignored.has(key), false, `${key} is applied or accepted, not ignored`);
    }
  });
});

/**
 * A real kong.conf of a public Kong installation: the one Kong's own test suite runs Kong with
 * (spec/kong_tests.conf of github.com/Kong/kong at tag 3.10.0, see fixtures/kong-3.10).
 */
const KONG_TESTS_CONF = readFileSync(
  new URL('./fixtures/kong-3.10/kong_tests.conf', import.meta.url),
  'utf8',
);

describe("Kong's own test installation kong.conf", () => {
  it('is accepted as it is, with one warning listing exactly the keys that mean nothing here', () => {
    const loaded = buildConfig({
      file: { path: '/srv/kong/spec/kong_tests.conf', text: KONG_TESTS_CONF },
      env: {},
      cwd: '/srv/kong',
    });
    assert.equal(loaded.warnings.length, 1);
    const [warning] = loaded.warnings;
    assert.equal(warning?.message, IGNORED_MESSAGE);
    assert.deepEqual(warning?.settings.map((s) => s.key).sort(), [
      'anonymous_reports',
      'dedicated_config_processing',
      'lua_package_path',
      'nginx_events_multi_accept',
      'nginx_events_worker_connections',
      'nginx_main_worker_rlimit_nofile',
      'pg_ro_user',
      'resolver_hosts_file',
      'untrusted_lua',
      'vaults',
      'worker_consistency',
    ]);
    for (const setting of warning?.settings ?? []) {
      assert.equal(setting.source, `kong_tests.conf:${lineOf(KONG_TESTS_CONF, setting.key)}`, setting.key);
    }
    // Every key Turnpike implements means what it means to Kong.
    const { config } = loaded;
    assert.equal(config.worker_processes, 1, 'nginx_worker_processes');
    assert.equal(config.prefix, '/srv/kong/servroot');
    assert.equal(config.database, 'postgres');
    assert.equal(config.pg_database, 'kong_tests');
    assert.equal(config.pg_timeout, 15000);
    assert.equal(config.pg_password, 'foo#bar', "Kong's \\# escape, and the comment after it stripped");
    assert.equal(config.log_level, 'debug');
    assert.equal(config.admin_gui_listen.length, 0);
    assert.deepEqual(
      config.proxy_listen.map((l) => [l.port, l.ssl]),
      [
        [9000, false],
        [9443, true],
        [9002, false],
      ],
    );
    assert.equal(config.dns_hostsfile, 'spec/fixtures/hosts');
    assert.deepEqual(
      config.plugins.slice(0, 2),
      ['bundled', 'dummy'],
      'its custom plugins are named: start loads them or says it cannot',
    );
  });
});

describe('a kong.conf with Kong-only keys', () => {
  it('applies Kong’s nginx-level names under Turnpike’s keys', () => {
    const { config, sources } = load(
      'nginx_main_worker_processes = 3\nnginx_proxy_real_ip_header = X-Forwarded-For\nnginx_http_client_body_buffer_size = 16k\n',
    );
    assert.equal(config.worker_processes, 3);
    assert.equal(sources.worker_processes, 'kong.conf:1');
    assert.equal(config.real_ip_header, 'X-Forwarded-For');
    assert.equal(config.client_body_buffer_size, 16 * 1024);
  });

  it('refuses a key set twice under two of its names', () => {
    const [problem, ...rest] = problems('worker_processes = 2\nnginx_worker_processes = 4\n');
    assert.deepEqual(rest, []);
    assert.deepEqual(problem, {
      key: 'nginx_worker_processes',
      source: 'kong.conf:2',
      message: 'set twice (first at kong.conf:1 as worker_processes)',
    });
  });

  it('accepts a refused key set to the value that asks for what Turnpike does, and refuses any other', () => {
    assert.deepEqual(load('cluster_ocsp = off\nrouter_flavor = traditional_compatible\n').warnings, []);
    assert.deepEqual(problems('\ncluster_ocsp = on\n'), [
      {
        key: 'cluster_ocsp',
        source: 'kong.conf:2',
        message: 'not supported yet: OCSP checks of data plane certificates',
      },
    ]);
    // stream_listen is Turnpike's own key now: TCP / TLS stream proxying.
    assert.equal(load('stream_listen = 127.0.0.1:5555\n').config.stream_listen[0]?.port, 5555);
  });

  it('takes router_flavor traditional_compatible (the default) and traditional, and refuses expressions', () => {
    assert.equal(load('').config.router_flavor, 'traditional_compatible');
    assert.equal(load('router_flavor = traditional\n').config.router_flavor, 'traditional');
    assert.deepEqual(problems('\nrouter_flavor = expressions\n'), [
      {
        key: 'router_flavor',
        source: 'kong.conf:2',
        message: "not supported yet: the expressions router (routes' expression and priority fields)",
      },
    ]);
    assert.match(problems('router_flavor = atc\n')[0]?.message ?? '', /traditional_compatible, traditional/);
  });

  it('ignores an injected nginx directive with a warning naming it', () => {
    const { warnings } = load('nginx_proxy_proxy_buffer_size = 160k\n');
    assert.equal(warnings[0]?.settings[0]?.key, 'nginx_proxy_proxy_buffer_size');
    assert.equal(warnings[0]?.settings[0]?.source, 'kong.conf:1');
  });

  it('still calls a typo an error, suggesting the Kong key it resembles', () => {
    const [problem] = problems('stream_listn = off\n');
    assert.equal(problem?.key, 'stream_listn');
    assert.match(problem?.message ?? '', /unknown configuration key; did you mean 'stream_listen'\?/);
  });

  it('refuses a vault reference without echoing it, and listener flags Turnpike does not act on', () => {
    const found = problems(
      'pg_password = {vault://env/pg-password}\nproxy_listen = 0.0.0.0:8000 proxy_protocol, 0.0.0.0:9080 http2\nstatus_listen = 0.0.0.0:8100 ssl\n',
    );
    const vault = found.find((p) => p.key === 'pg_password');
    assert.equal(vault?.message, 'not supported yet: vault references ({vault://…})');
    assert.doesNotMatch(JSON.stringify(found), /pg-password/);
    const withVaultFixed = problems(
      'proxy_listen = 0.0.0.0:8000 proxy_protocol, 0.0.0.0:9080 http2\nstatus_listen = 0.0.0.0:8100 ssl\n',
    );
    assert.deepEqual(
      withVaultFixed.map((p) => `${p.key} (from ${p.source}): ${p.message}`),
      [
        'proxy_listen (from kong.conf:1): not supported yet: the proxy_protocol flag',
        'status_listen (from kong.conf:2): not supported yet: the ssl flag (TLS on /status)',
      ],
    );
  });
});
