import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { buildConfig } from './build.ts';
import { resolveDatastore } from './datastore.ts';

const load = (text: string, env: Record<string, string> = {}) =>
  buildConfig({ file: { path: '/etc/turnpike/turnpike.conf', text }, env, cwd: '/srv/app' });
const target = (text: string, env: Record<string, string> = {}) => {
  const { config, sources } = load(text, env);
  return resolveDatastore(config, sources);
};

function problemsOf(text: string, env: Record<string, string> = {}): readonly ConfigProblem[] {
  try {
    load(text, env);
  } catch (error) {
    assert.ok(error instanceof ConfigInvalidError, String(error));
    return error.problems;
  }
  return assert.fail(`expected the config to be rejected:\n${text}`);
}

describe('resolveDatastore', () => {
  it('defaults to the embedded database in memory', () => {
    assert.deepEqual(target(''), { kind: 'memory' });
  });

  it('reads dsn = memory as embedded in memory', () => {
    assert.deepEqual(target('dsn = memory'), { kind: 'memory' });
  });

  it('reads an absolute pglite dsn as an embedded database persisted in that folder', () => {
    assert.deepEqual(target('dsn = pglite:///var/lib/turnpike/db'), {
      kind: 'pglite',
      dir: '/var/lib/turnpike/db',
    });
  });

  it('resolves a relative pglite dsn against the working directory', () => {
    assert.deepEqual(target('dsn = pglite://./data/db'), { kind: 'pglite', dir: '/srv/app/data/db' });
  });

  it('reads a postgres dsn, taking TLS from its sslmode and tuning from the pg_* keys', () => {
    assert.deepEqual(
      target('dsn = postgresql://tp:pw@db.internal:6432/gw?sslmode=verify-full\npg_pool_size = 20'),
      {
        kind: 'postgres',
        connectionString: 'postgresql://tp:pw@db.internal:6432/gw',
        ssl: { rejectUnauthorized: true },
        schema: undefined,
        timeoutMs: 5000,
        poolSize: 20,
        maxConcurrentQueries: 0,
      },
    );
  });

  it('takes TLS from pg_ssl when the dsn has no sslmode', () => {
    const t = target('dsn = postgres://db/gw\npg_ssl = on');
    assert.ok(t.kind === 'postgres');
    assert.deepEqual(t.ssl, { rejectUnauthorized: false });
  });

  it('lets a postgres dsn win over the default database = embedded', () => {
    assert.equal(target('', { TURNPIKE_DSN: 'postgres://db/gw' }).kind, 'postgres');
  });

  it('builds a postgres URL from the pg_* keys when database = postgres has no dsn, escaping credentials', () => {
    const t = target(
      'database = postgres\npg_host = ::1\npg_port = 5433\npg_user = tp user\npg_password = p@ss/word\npg_database = gw\npg_schema = kong\npg_ssl = on\npg_ssl_verify = on',
    );
    assert.deepEqual(t, {
      kind: 'postgres',
      connectionString: 'postgres://tp%20user:p%40ss%2Fword@[::1]:5433/gw',
      ssl: { rejectUnauthorized: true },
      schema: 'kong',
      timeoutMs: 5000,
      poolSize: 10,
      maxConcurrentQueries: 0,
    });
  });

  it('gives no database for database = off and for a data plane', () => {
    assert.deepEqual(target('database = off'), { kind: 'off' });
    assert.deepEqual(target('role = data_plane\ncluster_mtls = off'), { kind: 'off' });
  });

  it('works on a config without sources, calling the source "config"', () => {
    const { config } = load('database = off');
    assert.throws(
      () => resolveDatastore({ ...config, dsn: 'memory' }),
      (error: unknown) =>
        error instanceof ConfigInvalidError &&
        error.problems[0]?.key === 'dsn' &&
        error.problems[0].source === 'config',
    );
  });
});

describe('datastore contradictions', () => {
  it('rejects a dsn with database = off, naming both keys', () => {
    const [problem, ...rest] = problemsOf('database = off\ndsn = memory');
    assert.deepEqual(rest, []);
    assert.equal(problem?.key, 'dsn');
    assert.equal(problem?.source, 'turnpike.conf:2');
    assert.match(problem?.message ?? '', /contradicts database = off \(from turnpike.conf:1\)/);
  });

  it('rejects an embedded dsn with database = postgres, and a postgres dsn with an explicit database = embedded', () => {
    assert.match(
      problemsOf('database = postgres\ndsn = memory')[0]?.message ?? '',
      /names an embedded database/,
    );
    assert.match(
      problemsOf('database = embedded\ndsn = postgres://u:secretpw@db/x')[0]?.message ?? '',
      /names a postgres server/,
    );
  });

  it('rejects pg connection keys given alongside a dsn, without echoing the dsn', () => {
    const problems = problemsOf('dsn = postgres://u:secretpw@db/x\npg_host = other\npg_password = hunter2');
    assert.deepEqual(
      problems.map((p) => [p.key, p.source]),
      [
        ['pg_host', 'turnpike.conf:2'],
        ['pg_password', 'turnpike.conf:3'],
      ],
    );
    assert.match(problems[0]?.message ?? '', /cannot be combined with dsn \(from turnpike.conf:1\)/);
    assert.ok(!JSON.stringify(problems).includes('secretpw'));
    assert.ok(!JSON.stringify(problems).includes('hunter2'));
  });

  it('rejects a malformed dsn without quoting it', () => {
    const problems = problemsOf('dsn = pglite://relative-without-dot');
    assert.equal(problems[0]?.key, 'dsn');
    assert.match(problems[0]?.message ?? '', /hidden: secret/);
    assert.ok(!problems[0]?.message.includes('relative-without-dot'));
  });
});
