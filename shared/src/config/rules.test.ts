import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { buildConfig } from './build.ts';

const build = (text: string, env: Record<string, string> = {}) =>
  buildConfig({ file: { path: '/etc/turnpike/turnpike.conf', text }, env, cwd: '/srv' });

function problemsOf(text: string, env: Record<string, string> = {}): readonly ConfigProblem[] {
  try {
    build(text, env);
  } catch (error) {
    assert.ok(error instanceof ConfigInvalidError, String(error));
    return error.problems;
  }
  return assert.fail(`expected the config to be rejected:\n${text}`);
}

const CERTS = 'cluster_cert = /certs/cluster.crt\ncluster_cert_key = /certs/cluster.key';

describe('cross-key rules: hybrid mode', () => {
  it('requires cluster_cert and cluster_cert_key for a data plane, naming the role’s source', () => {
    const problems = problemsOf('role = data_plane\ndatabase = off');
    assert.deepEqual(
      problems.map((p) => [p.key, p.source]),
      [
        ['cluster_cert', 'turnpike.conf:1'],
        ['cluster_cert_key', 'turnpike.conf:1'],
      ],
    );
    assert.match(problems[0]?.message ?? '', /required when role = data_plane .*unless cluster_mtls = off/);
  });

  it('requires the cluster certificate for a control plane too, as Kong does', () => {
    const problems = problemsOf('role = control_plane');
    assert.deepEqual(
      problems.map((p) => p.key),
      ['cluster_cert', 'cluster_cert_key'],
    );
  });

  it('lets a data plane run without certificates when cluster_mtls = off', () => {
    const { config } = build('role = data_plane\ncluster_mtls = off');
    assert.equal(config.role, 'data_plane');
  });

  it('requires cluster_ca_cert when cluster_mtls = pki', () => {
    const problems = problemsOf(`role = data_plane\ncluster_mtls = pki\n${CERTS}`);
    assert.deepEqual(
      problems.map((p) => [p.key, p.source, p.message]),
      [['cluster_ca_cert', 'turnpike.conf:2', 'required when cluster_mtls = pki']],
    );
  });

  it('accepts a data plane with certificates and no datastore settings', () => {
    const { config } = build(`role = data_plane\n${CERTS}`);
    assert.equal(config.database, 'embedded');
  });

  it('rejects datastore settings given explicitly to a data plane, naming each key', () => {
    const problems = problemsOf(`role = data_plane\n${CERTS}\ndatabase = postgres\npg_host = db`, {
      TURNPIKE_DSN: 'postgres://u:p@db/x',
    });
    assert.deepEqual(
      problems.map((p) => [p.key, p.source]),
      [
        ['database', 'turnpike.conf:4'],
        ['dsn', 'TURNPIKE_DSN'],
        ['pg_host', 'turnpike.conf:5'],
      ],
    );
    for (const p of problems) assert.match(p.message, /a data plane never touches the database/);
    assert.ok(!JSON.stringify(problems).includes('u:p@db'));
  });

  it('rejects a control plane without a database or without admin and cluster listeners', () => {
    const problems = problemsOf(
      `role = control_plane\n${CERTS}\ndatabase = off\nadmin_listen = off\ncluster_listen = off`,
    );
    assert.deepEqual(
      problems.map((p) => p.key),
      ['admin_listen', 'cluster_listen', 'database'],
    );
  });

  it('accepts cluster_allowed_common_names on a control plane in pki mode only, naming the source', () => {
    const pki = 'cluster_mtls = pki\ncluster_ca_cert = /certs/ca.crt';
    const allowed = { TURNPIKE_CLUSTER_ALLOWED_COMMON_NAMES: 'dp-1.cluster.test,dp-2.cluster.test' };
    assert.deepEqual(
      build(`role = control_plane\n${CERTS}\n${pki}`, allowed).config.cluster_allowed_common_names,
      ['dp-1.cluster.test', 'dp-2.cluster.test'],
    );
    const shared = problemsOf(`role = control_plane\n${CERTS}`, allowed);
    assert.deepEqual(
      shared.map((p) => [p.key, p.source]),
      [['cluster_allowed_common_names', 'TURNPIKE_CLUSTER_ALLOWED_COMMON_NAMES']],
    );
    assert.match(
      shared[0]?.message ?? '',
      /only used when cluster_mtls = pki or pki_check_cn \(cluster_mtls = shared/,
    );
    const dataPlane = problemsOf(`role = data_plane\n${CERTS}\n${pki}`, allowed);
    assert.match(dataPlane[0]?.message ?? '', /only used when role = control_plane/);
  });

  it('refuses a cluster_max_reconnect_delay that is not a whole number of seconds from 1 to 3600', () => {
    assert.equal(build('cluster_max_reconnect_delay = 5').config.cluster_max_reconnect_delay, 5);
    for (const bad of ['0', '-1', '2.5', 'soon', '3601']) {
      const problems = problemsOf('', { TURNPIKE_CLUSTER_MAX_RECONNECT_DELAY: bad });
      assert.deepEqual(
        problems.map((p) => [p.key, p.source]),
        [['cluster_max_reconnect_delay', 'TURNPIKE_CLUSTER_MAX_RECONNECT_DELAY']],
        bad,
      );
    }
  });

  it('rejects a data plane whose proxy_listen is off', () => {
    const problems = problemsOf(`role = data_plane\n${CERTS}\nproxy_listen = off`);
    assert.deepEqual(
      problems.map((p) => p.key),
      ['proxy_listen'],
    );
  });
});

describe('cross-key rules: Admin API exposure', () => {
  it('requires admin_token when admin_listen binds a non-loopback address, and says how to opt out', () => {
    const problems = problemsOf('admin_listen = 0.0.0.0:8001');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.key, 'admin_token');
    assert.equal(problems[0]?.source, 'turnpike.conf:1');
    assert.match(problems[0]?.message ?? '', /0\.0\.0\.0:8001, which is not a loopback address/);
    assert.match(problems[0]?.message ?? '', /admin_auth = off/);
  });

  it('accepts a non-loopback admin_listen with a token, or with admin_auth = off', () => {
    assert.equal(
      build('admin_listen = [::]:8001', { TURNPIKE_ADMIN_TOKEN: 't0ken' }).config.admin_token,
      't0ken',
    );
    assert.equal(build('admin_listen = 0.0.0.0:8001\nadmin_auth = off').config.admin_auth, false);
  });

  it('accepts loopback admin listeners without a token', () => {
    assert.equal(build('admin_listen = 127.0.0.1:8001, [::1]:8001').config.admin_listen.length, 2);
  });
});

describe('cross-key rules: TLS certificate pairs', () => {
  it('requires a key for every certificate, as Kong does', () => {
    assert.deepEqual(
      problemsOf('ssl_cert = /a.crt').map((p) => [p.key, p.message]),
      [['ssl_cert_key', 'must be specified when ssl_cert is']],
    );
    assert.match(
      problemsOf('admin_ssl_cert = /a.crt, /b.crt\nadmin_ssl_cert_key = /a.key')[0]?.message ?? '',
      /admin_ssl_cert was specified 2 times while admin_ssl_cert_key was specified 1 times/,
    );
  });
});
