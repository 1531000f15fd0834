import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { REPO_ROOT, runTurnpike, startTurnpike } from '../helpers/turnpike.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A node that starts in a moment: a data plane with no control plane to reach (so no
 * datastore to open), on free ports. The process model and the signals are the same for
 * every role; traditional.test.ts starts the default role.
 */
async function statusEnv(): Promise<Record<string, string>> {
  return {
    TURNPIKE_ROLE: 'data_plane',
    TURNPIKE_CLUSTER_MTLS: 'off',
    TURNPIKE_CLUSTER_CONTROL_PLANE: '127.0.0.1:1',
    TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
    TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
  };
}

async function get(url: string): Promise<number> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

describe('turnpike version', () => {
  test('prints the version of the root package', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runTurnpike(['version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), pkg.version);
  });
});

describe('turnpike check', () => {
  test('accepts a valid file and says so', async () => {
    const file = join(dir, 'good.conf');
    await writeFile(file, '# a comment\nlog_level = debug\npg_port = 5433\n');
    const result = await runTurnpike(['check', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /is valid/);
  });

  test('rejects a bad value naming the key, the value and the file line', async () => {
    const file = join(dir, 'bad.conf');
    await writeFile(file, '# a comment\n\npg_port = nope\n');
    const result = await runTurnpike(['check', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /pg_port/);
    assert.match(result.stderr, /bad\.conf:3/);
    assert.match(result.stderr, /nope/);
  });

  test('names the environment variable when the bad value comes from there', async () => {
    const result = await runTurnpike(['check'], { TURNPIKE_PG_PORT: '99999' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /TURNPIKE_PG_PORT/);
    assert.match(result.stderr, /99999/);
  });

  test('never prints a secret, even when it is the bad value', async () => {
    const result = await runTurnpike(['check'], { TURNPIKE_SECRETS_DEFAULT: 'hunter2' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /secrets_default \(from TURNPIKE_SECRETS_DEFAULT\)/,
      'too short a secret is reported',
    );
    assert.doesNotMatch(result.stdout + result.stderr, /hunter2/);
  });

  test('refuses an Admin API off loopback without a token', async () => {
    const result = await runTurnpike(['check'], { TURNPIKE_ADMIN_LISTEN: '0.0.0.0:8001' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /admin_listen/);
    assert.match(result.stderr, /admin_token/);
    const allowed = await runTurnpike(['check'], {
      TURNPIKE_ADMIN_LISTEN: '0.0.0.0:8001',
      TURNPIKE_ADMIN_TOKEN: 'a-long-admin-token',
    });
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  test('names where cluster_cert was set when its file is missing or not a certificate', async () => {
    const hybrid = {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_CERT: join(dir, 'absent.crt'),
      TURNPIKE_CLUSTER_CERT_KEY: join(dir, 'absent.key'),
    };
    const missing = await runTurnpike(['check'], hybrid);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /cluster_cert \(from TURNPIKE_CLUSTER_CERT\): cannot read '.*absent\.crt': ENOENT/,
    );
    assert.doesNotMatch(missing.stderr, /from configuration/);
    const garbage = join(dir, 'garbage.crt');
    await writeFile(garbage, 'not a certificate\n');
    const file = join(dir, 'hybrid.conf');
    await writeFile(file, `cluster_cert = ${garbage}\n`);
    const notPem = await runTurnpike(['check', file], {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_CERT_KEY: garbage,
    });
    assert.equal(notPem.code, 1);
    assert.match(notPem.stderr, /cluster_cert \(from hybrid\.conf:1\): failed loading certificate/);
    assert.match(notPem.stderr, /cluster_cert_key \(from TURNPIKE_CLUSTER_CERT_KEY\): failed loading key/);
  });

  test('fails with the path when the file does not exist', async () => {
    const result = await runTurnpike(['check', join(dir, 'missing.conf')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /missing\.conf/);
  });
});

describe('turnpike start, health, drain, reload, quit and stop', () => {
  test('start serves the status listener, health answers, quit drains and exits 0', async () => {
    const env = await statusEnv();
    await using node = await startTurnpike({ env });
    const pid = Number((await readFile(join(node.prefix, 'turnpike.pid'), 'utf8')).trim());
    assert.equal(pid, node.child.pid);

    const health = await runTurnpike(['health'], node.env);
    assert.equal(health.code, 0, health.stderr);
    assert.equal(await get(`http://${env.TURNPIKE_STATUS_LISTEN}/status`), 200);

    const quit = await runTurnpike(['quit', '--timeout', '10'], node.env);
    assert.equal(quit.code, 0, quit.stderr);
    assert.equal(await node.exited, 0);
    assert.equal(existsSync(join(node.prefix, 'turnpike.pid')), false, 'pid file removed');

    const after = await runTurnpike(['health'], node.env);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /not running/);
  });

  test('drain makes readiness 503 while liveness stays 200', async () => {
    const env = await statusEnv();
    await using node = await startTurnpike({ env });
    // With no configuration yet, a data plane is alive but not ready.
    assert.equal(await get(`http://${env.TURNPIKE_STATUS_LISTEN}/status/ready`), 503);
    const reason = await (await fetch(`http://${env.TURNPIKE_STATUS_LISTEN}/status/ready`)).json();
    assert.deepEqual(reason, { message: 'no configuration yet' });
    const drain = await runTurnpike(['drain'], node.env);
    assert.equal(drain.code, 0, drain.stderr);
    const drained = await (await fetch(`http://${env.TURNPIKE_STATUS_LISTEN}/status/ready`)).json();
    assert.deepEqual(drained, { message: 'draining' });
    assert.equal(await get(`http://${env.TURNPIKE_STATUS_LISTEN}/status`), 200);
    assert.equal((await runTurnpike(['health', '--ready'], node.env)).code, 1);
  });

  test('reload applies a good file and refuses a bad one, keeping the running configuration', async () => {
    const file = join(dir, 'reload.conf');
    // log_level comes from the environment in these tests (which wins over the file), so the
    // file changes another key.
    await writeFile(file, 'upstream_keepalive_pool_size = 100\n');
    const env = await statusEnv();
    await using node = await startTurnpike({ env, args: ['-c', file] });
    const args = ['-c', file];

    await writeFile(file, 'upstream_keepalive_pool_size = 200\n');
    const good = await runTurnpike(['reload', ...args], node.env);
    assert.equal(good.code, 0, good.stderr);
    await node.waitForLog((l) => l.msg === 'configuration reloaded');

    await writeFile(file, 'upstream_keepalive_pool_size = lots\n');
    const bad = await runTurnpike(['reload', ...args], node.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /upstream_keepalive_pool_size \(from reload\.conf:1\)/);
    assert.equal((await runTurnpike(['health'], node.env)).code, 0, 'still running');
  });

  test('a second start in the same prefix is refused', async () => {
    const env = await statusEnv();
    await using node = await startTurnpike({ env });
    const second = await runTurnpike(['start'], { ...node.env, ...(await statusEnv()) });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /already running/);
  });

  test('stop ends the process at once', async () => {
    const env = await statusEnv();
    await using node = await startTurnpike({ env });
    const stop = await runTurnpike(['stop'], node.env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await node.exited, 0);
  });

  test('secrets from the environment never reach the logs', async () => {
    const env = {
      ...(await statusEnv()),
      TURNPIKE_LOG_LEVEL: 'debug',
      TURNPIKE_ADMIN_TOKEN: 'tok-do-not-log-1234',
      TURNPIKE_SECRETS_DEFAULT: 'sec-do-not-log-9999',
    };
    await using node = await startTurnpike({ env });
    await node.waitForLog((l) => l.msg === 'configuration');
    const all = JSON.stringify(node.lines) + node.stderr();
    assert.doesNotMatch(all, /do-not-log/);
    assert.match(all, /\[redacted\]|\*\*\*\*\*\*/, 'the secret keys are there, redacted');
  });
});

describe('turnpike hybrid gen_cert', () => {
  test('writes a P-384 certificate and a 0600 key, and refuses to overwrite them without --force', async () => {
    const cert = join(dir, 'cluster.crt');
    const key = join(dir, 'cluster.key');
    const first = await runTurnpike(['hybrid', 'gen_cert', cert, key, '--days', '30']);
    assert.equal(first.code, 0, first.stderr);
    const { X509Certificate } = await import('node:crypto');
    const x509 = new X509Certificate(await readFile(cert));
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    const days = (Date.parse(x509.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30.01, `valid for ${days} days`);
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(key)).mode & 0o777, 0o600);

    const again = await runTurnpike(['hybrid', 'gen_cert', cert, key]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    const forced = await runTurnpike(['hybrid', 'gen_cert', cert, key, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual(new X509Certificate(await readFile(cert)).fingerprint256, x509.fingerprint256);
  });
});

describe('turnpike restart', () => {
  test('stops the running node and starts a new one in the same prefix', async () => {
    const env = await statusEnv();
    await using first = await startTurnpike({ env });
    await using second = await startTurnpike({ env: { ...first.env }, args: [], command: 'restart' });
    assert.equal(await first.exited, 0, 'the first node was stopped');
    const pid = Number((await readFile(join(first.prefix, 'turnpike.pid'), 'utf8')).trim());
    assert.equal(pid, second.child.pid);
    assert.equal((await runTurnpike(['health'], first.env)).code, 0);
  });
});
