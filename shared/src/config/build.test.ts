import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { ConfigFileError, ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { buildConfig, type ConfigInputs, type LoadedConfig } from './build.ts';
import { TurnpikeConfigSchema } from './schema.ts';

const CONF = '/etc/turnpike/turnpike.conf';

function build(
  fileText?: string,
  env: ConfigInputs['env'] = {},
  envFiles = new Map<string, string | Error>(),
) {
  return buildConfig({
    ...(fileText === undefined ? {} : { file: { path: CONF, text: fileText } }),
    env,
    envFiles,
    cwd: '/srv/app',
  });
}

function problemsOf(run: () => LoadedConfig): readonly ConfigProblem[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigInvalidError, `expected ConfigInvalidError, got ${String(error)}`);
    assert.equal(error.code, 'TP_CONFIG_INVALID');
    return error.problems;
  }
  return assert.fail('expected the config to be rejected');
}

function onlyProblem(run: () => LoadedConfig): ConfigProblem {
  const problems = problemsOf(run);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  return problems[0] as ConfigProblem;
}

describe('buildConfig: defaults', () => {
  it('gives Kong’s defaults, parsed, when nothing is set, every source being default', () => {
    const { config, sources, file } = build();
    assert.equal(file, undefined);
    assert.equal(config.role, 'traditional');
    assert.equal(config.database, 'embedded');
    assert.equal(config.pg_port, 5432);
    assert.equal(config.log_level, 'notice');
    assert.deepEqual(config.plugins, ['bundled']);
    assert.deepEqual(config.headers, ['server_tokens', 'latency_tokens', 'X-Kong-Request-Id']);
    assert.deepEqual(config.headers_upstream, ['X-Kong-Request-Id']);
    assert.deepEqual(config.dns_order, ['LAST', 'A', 'CNAME']);
    assert.equal(config.client_body_buffer_size, 8192);
    assert.equal(config.client_max_body_size, 0);
    assert.equal(config.worker_processes, 'auto');
    assert.equal(config.admin_auth, true);
    assert.equal(config.pg_ssl, false);
    assert.equal(config.proxy_listen.length, 2);
    assert.deepEqual(config.trusted_ips, []);
    assert.equal(config.pg_password, undefined);
    assert.ok(Object.values(sources).every((s) => s === 'default'));
  });

  it('produces a value the TypeBox schema accepts', () => {
    const { config } = build();
    assert.deepEqual([...Value.Errors(TurnpikeConfigSchema, config)], []);
  });

  it('resolves a relative prefix against the working directory', () => {
    assert.equal(build().config.prefix, '/srv/app/.turnpike');
    assert.equal(build('prefix = /var/lib/turnpike').config.prefix, '/var/lib/turnpike');
  });
});

describe('buildConfig: file values', () => {
  it('reads booleans, lists, sizes and integers from the file, naming file and line as source', () => {
    const { config, sources, file } = build(
      [
        '# comment',
        'pg_ssl = on',
        'trusted_ips = 10.0.0.0/8, ::1',
        'client_max_body_size = 1m',
        'pg_port = 6432',
      ].join('\n'),
    );
    assert.equal(file, CONF);
    assert.equal(config.pg_ssl, true);
    assert.deepEqual(config.trusted_ips, ['10.0.0.0/8', '::1']);
    assert.equal(config.client_max_body_size, 1048576);
    assert.equal(config.pg_port, 6432);
    assert.equal(sources.pg_ssl, 'turnpike.conf:2');
    assert.equal(sources.pg_port, 'turnpike.conf:5');
    assert.equal(sources.pg_host, 'default');
  });

  it('matches list entries from a fixed set case-insensitively and keeps the canonical spelling', () => {
    const { config } = build('headers = x-kong-upstream-latency, server\ndns_order = a, cname');
    assert.deepEqual(config.headers, ['X-Kong-Upstream-Latency', 'Server']);
    assert.deepEqual(config.dns_order, ['A', 'CNAME']);
  });

  it('treats an empty value as unset for optional keys and as the empty list for lists', () => {
    const { config } = build('pg_schema =\nplugins =\n');
    assert.equal(config.pg_schema, undefined);
    assert.deepEqual(config.plugins, []);
  });

  it('rejects an empty value for a key that has a default, saying what the default is', () => {
    const problem = onlyProblem(() => build('log_level ='));
    assert.deepEqual(problem, {
      key: 'log_level',
      source: 'turnpike.conf:1',
      message: 'must not be empty (default: notice)',
    });
  });

  it('rejects an unknown key naming it and its line, and suggests the closest known key', () => {
    const problem = onlyProblem(() => build('\npg_hots = db'));
    assert.equal(problem.key, 'pg_hots');
    assert.equal(problem.source, 'turnpike.conf:2');
    assert.match(problem.message, /unknown configuration key; did you mean 'pg_host'\?/);
  });

  it('gives no suggestion when no known key is close', () => {
    const problem = onlyProblem(() => build('completely_unrelated = 1'));
    assert.equal(problem.message, 'unknown configuration key');
  });

  it('rejects a key set twice, naming both lines', () => {
    const problem = onlyProblem(() => build('pg_port = 1\npg_port = 2'));
    assert.deepEqual(problem, {
      key: 'pg_port',
      source: 'turnpike.conf:2',
      message: 'set twice (first at turnpike.conf:1)',
    });
  });

  it('names the file line and quotes the value for a bad port in the file', () => {
    const problem = onlyProblem(() => build('log_level = info\npg_port = 99999'));
    assert.equal(problem.key, 'pg_port');
    assert.equal(problem.source, 'turnpike.conf:2');
    assert.match(problem.message, /invalid value '99999': expected an integer from 1 to 65535/);
  });

  it('collects every problem in the file into one error', () => {
    const problems = problemsOf(() =>
      build('pg_port = x\nrole = boss\nproxy_listen = nowhere\nclient_max_body_size = 1t'),
    );
    assert.deepEqual(problems.map((p) => `${p.key}@${p.source}`).sort(), [
      'client_max_body_size@turnpike.conf:4',
      'pg_port@turnpike.conf:1',
      'proxy_listen@turnpike.conf:3',
      'role@turnpike.conf:2',
    ]);
    assert.match(
      problems.find((p) => p.key === 'role')?.message ?? '',
      /invalid value 'boss': expected one of: traditional, control_plane, data_plane/,
    );
  });

  it('names key, source and message in the error text', () => {
    assert.throws(
      () => build('pg_port = x'),
      (error: Error) =>
        error.message ===
        "pg_port (from turnpike.conf:1): invalid value 'x': expected an integer from 1 to 65535",
    );
  });

  it('throws ConfigFileError naming the path and line of a malformed line', () => {
    assert.throws(
      () => build('pg_host = a\nthis line has no equals\n'),
      (error: unknown) =>
        error instanceof ConfigFileError &&
        error.message.includes(`${CONF}:2`) &&
        error.code === 'TP_CONFIG_FILE',
    );
  });
});

describe('buildConfig: environment', () => {
  it('lets TURNPIKE_<KEY> override the file, which overrides the default', () => {
    const { config, sources } = build('pg_host = from-file\npg_port = 6000', { TURNPIKE_PG_PORT: '7000' });
    assert.equal(config.pg_host, 'from-file');
    assert.equal(sources.pg_host, 'turnpike.conf:1');
    assert.equal(config.pg_port, 7000);
    assert.equal(sources.pg_port, 'TURNPIKE_PG_PORT');
    assert.equal(config.pg_user, 'turnpike');
    assert.equal(sources.pg_user, 'default');
  });

  it('lets TURNPIKE_<KEY>_FILE override the file, the value being the file’s content without its trailing newline', () => {
    const files = new Map([['/run/secrets/pg', 's3cret-password\n']]);
    const { config, sources } = build(
      'pg_password = from-file',
      { TURNPIKE_PG_PASSWORD_FILE: '/run/secrets/pg' },
      files,
    );
    assert.equal(config.pg_password, 's3cret-password');
    assert.equal(sources.pg_password, 'TURNPIKE_PG_PASSWORD_FILE (/run/secrets/pg)');
  });

  it('rejects TURNPIKE_<KEY> and TURNPIKE_<KEY>_FILE set together, naming both', () => {
    const files = new Map([['/run/secrets/pg', 'x']]);
    const problem = onlyProblem(() =>
      build(undefined, { TURNPIKE_PG_PASSWORD: 'a', TURNPIKE_PG_PASSWORD_FILE: '/run/secrets/pg' }, files),
    );
    assert.equal(problem.key, 'pg_password');
    assert.match(problem.message, /TURNPIKE_PG_PASSWORD and TURNPIKE_PG_PASSWORD_FILE/);
  });

  it('reports a TURNPIKE_<KEY>_FILE that could not be read, naming variable and path', () => {
    const files = new Map([['/nope', new Error('ENOENT: no such file or directory')]]);
    const problem = onlyProblem(() => build(undefined, { TURNPIKE_ADMIN_TOKEN_FILE: '/nope' }, files));
    assert.equal(problem.key, 'admin_token');
    assert.equal(problem.source, 'TURNPIKE_ADMIN_TOKEN_FILE (/nope)');
    assert.match(problem.message, /cannot read the file: ENOENT/);
  });

  it('names the variable and quotes the value for a bad port in the environment', () => {
    const problem = onlyProblem(() => build('pg_port = 5432', { TURNPIKE_PG_PORT: 'fivefour' }));
    assert.deepEqual(problem, {
      key: 'pg_port',
      source: 'TURNPIKE_PG_PORT',
      message: "invalid value 'fivefour': expected an integer from 1 to 65535",
    });
  });

  it('ignores TURNPIKE_ variables that name no key', () => {
    const { config } = build(undefined, {
      TURNPIKE_TEST_PG: 'postgres://x',
      TURNPIKE_CONF: '/x',
      TURNPIKE_NOPE: '1',
    });
    assert.equal(config.database, 'embedded');
  });

  it('reads lists and listeners from the environment too', () => {
    const { config } = build(undefined, {
      TURNPIKE_PLUGINS: 'bundled, my-plugin',
      TURNPIKE_STATUS_LISTEN: 'off',
    });
    assert.deepEqual(config.plugins, ['bundled', 'my-plugin']);
    assert.deepEqual(config.status_listen, []);
  });
});

describe('buildConfig: Admin GUI keys', () => {
  it('defaults admin_gui_listen to loopback port 8002 and leaves both URLs unset', () => {
    const { config } = buildConfig({ env: {}, cwd: '/tmp' });
    assert.deepEqual(
      config.admin_gui_listen.map((l) => `${l.host}:${l.port}`),
      ['127.0.0.1:8002'],
    );
    assert.deepEqual(config.admin_gui_url, []);
    assert.equal(config.admin_gui_api_url, undefined);
  });

  it('reads admin_gui_url as a list of URLs and refuses an entry that is not one, naming the key', () => {
    const env = {
      TURNPIKE_ADMIN_GUI_URL: 'http://127.0.0.1:8003, https://example.test/manager',
      TURNPIKE_ADMIN_GUI_API_URL: '127.0.0.1:8001',
      TURNPIKE_ADMIN_GUI_LISTEN: 'off',
    };
    const { config } = buildConfig({ env, cwd: '/tmp' });
    assert.deepEqual(config.admin_gui_url, ['http://127.0.0.1:8003', 'https://example.test/manager']);
    assert.equal(config.admin_gui_api_url, '127.0.0.1:8001');
    assert.deepEqual(config.admin_gui_listen, []);
    assert.throws(
      () => buildConfig({ env: { TURNPIKE_ADMIN_GUI_URL: 'example.test' }, cwd: '/tmp' }),
      (err: ConfigInvalidError) =>
        err.problems[0]?.key === 'admin_gui_url' &&
        /invalid entry 'example.test'/.test(err.problems[0].message),
    );
  });
});

describe('buildConfig: admin_gui_csp_header and admin_gui_csp_header_value', () => {
  it("defaults to on (Kong 3.10's default is off), no value", () => {
    const { config, warnings } = build();
    assert.equal(config.admin_gui_csp_header, true);
    assert.equal(config.admin_gui_csp_header_value, undefined);
    assert.deepEqual(warnings, []);
  });

  it("takes Kong's own default policy as a value, $host and the trailing ; included", () => {
    const kongDefault =
      "default-src 'self'; connect-src 'self' http://$host:8001; img-src 'self' data:; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline';";
    const { config, warnings } = build(
      `admin_gui_csp_header = on\nadmin_gui_csp_header_value = ${kongDefault}\n`,
    );
    assert.equal(config.admin_gui_csp_header, true);
    assert.equal(config.admin_gui_csp_header_value, kongDefault);
    assert.deepEqual(warnings, []);
  });

  it('refuses what is not a boolean, or not a policy a browser would read, naming the key and where', () => {
    const flag = onlyProblem(() => build('admin_gui_csp_header = sometimes\n'));
    assert.equal(flag.key, 'admin_gui_csp_header');
    assert.equal(flag.source, 'turnpike.conf:1');
    for (const [value, reason] of [
      ["default-src 'self'\u0007", /invalid character U\+0007/],
      ["default_src 'self'", /invalid directive 'default_src 'self''/],
      ["default-src 'self', ;;", /expected directives/],
      ['connect-src http://$server_name:8001', /'\$server_name' is not expanded/],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${server_name}, not a template
      ['connect-src http://${server_name}:8001', /'\$\{server_name\}' is not expanded/],
      ['connect-src $', /'\$' is not expanded/],
    ] as const) {
      const problem = onlyProblem(() =>
        build(undefined, { TURNPIKE_ADMIN_GUI_CSP_HEADER: 'on', KONG_ADMIN_GUI_CSP_HEADER_VALUE: value }),
      );
      assert.equal(problem.key, 'admin_gui_csp_header_value');
      assert.equal(problem.source, 'KONG_ADMIN_GUI_CSP_HEADER_VALUE');
      assert.match(problem.message, reason);
    }
  });

  it('warns that a value is ignored while admin_gui_csp_header is off', () => {
    const { warnings } = build(undefined, {
      KONG_ADMIN_GUI_CSP_HEADER: 'off',
      TURNPIKE_ADMIN_GUI_CSP_HEADER_VALUE: "default-src 'self'",
    });
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0]?.settings, [
      {
        key: 'admin_gui_csp_header_value',
        source: 'TURNPIKE_ADMIN_GUI_CSP_HEADER_VALUE',
        detail:
          'admin_gui_csp_header is off (from KONG_ADMIN_GUI_CSP_HEADER): the Admin GUI sends no Content-Security-Policy header',
      },
    ]);
  });
});

describe('buildConfig: secrets', () => {
  const secret = 'hunter2-very-secret';

  it('never echoes a secret key’s value in problems or the error message', () => {
    const cases: [string, Record<string, string>][] = [
      [`dsn = mysql://${secret}@db`, {}],
      [`secrets_default = ${secret.slice(0, 6)}`, {}],
      ['', { TURNPIKE_DSN: `nope-${secret}` }],
      ['', { TURNPIKE_ADMIN_TOKEN: secret, TURNPIKE_ADMIN_TOKEN_FILE: '/x' }],
    ];
    for (const [text, env] of cases) {
      try {
        build(text, env, new Map([['/x', secret]]));
        assert.fail(`expected ${text} ${JSON.stringify(env)} to be rejected`);
      } catch (error) {
        assert.ok(error instanceof ConfigInvalidError);
        assert.ok(!error.message.includes(secret.slice(0, 6)), error.message);
        assert.ok(!JSON.stringify(error.problems).includes(secret.slice(0, 6)));
      }
    }
  });

  it('says the value is hidden, and what was expected, for an invalid secret', () => {
    const problem = onlyProblem(() => build(`dsn = mysql://${secret}@db`));
    assert.equal(problem.key, 'dsn');
    assert.match(problem.message, /^invalid value \(hidden: secret\): expected memory, pglite/);
  });

  it('accepts secrets_default keys of 16 characters or more', () => {
    const { config } = build('secrets_default = 0123456789abcdef, fedcba9876543210');
    assert.deepEqual(config.secrets_default, ['0123456789abcdef', 'fedcba9876543210']);
  });
});
