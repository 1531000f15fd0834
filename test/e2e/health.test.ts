import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { machineNode, REPO_ROOT, runProgram, startTurnpike } from '../helpers/turnpike.ts';

/** bin/health.cjs: the images' HEALTHCHECK, which loads nothing but node:http. */
const HEALTH = join(REPO_ROOT, 'bin/health.cjs');
const health = createRequire(import.meta.url)(HEALTH) as {
  statusUrl(listenText: string, ready: boolean): string | undefined;
  fromConfText(text: string): string | undefined;
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-health-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A node that starts at once: a data plane with no control plane, so it is live but never ready. */
async function liveNode(statusListen: string) {
  return startTurnpike({
    env: {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_MTLS: 'off',
      TURNPIKE_CLUSTER_CONTROL_PLANE: '127.0.0.1:1',
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_STATUS_LISTEN: statusListen,
    },
  });
}

describe('bin/health.cjs', () => {
  test('asks the first status listener, a wildcard address on loopback', () => {
    assert.equal(
      health.statusUrl('0.0.0.0:8100 reuseport backlog=16384', false),
      'http://127.0.0.1:8100/status',
    );
    assert.equal(health.statusUrl('[::]:8100, 127.0.0.1:9000', true), 'http://[::1]:8100/status/ready');
    assert.equal(health.statusUrl('[::1]:8101', false), 'http://[::1]:8101/status');
    assert.equal(health.statusUrl('off', false), undefined);
    assert.equal(
      health.fromConfText('# status_listen = 1.1.1.1:1\nstatus_listen = 127.0.0.1:9 # note\n'),
      '127.0.0.1:9',
    );
  });

  test('exits 0 while the node is live, 1 when it is not ready, then 1 when it is gone, on any Node', async () => {
    const port = await freePort();
    await using node = await liveNode(`127.0.0.1:${port}`);
    for (const nodeBinary of new Set([process.execPath, machineNode()])) {
      const live = await runProgram(nodeBinary, [HEALTH], node.env);
      assert.equal(live.code, 0, `${nodeBinary}: ${live.stderr}`);
      assert.equal(live.stdout, `Turnpike is healthy at http://127.0.0.1:${port}/status\n`);
      const ready = await runProgram(nodeBinary, [HEALTH, '--ready'], node.env);
      assert.equal(ready.code, 1);
      assert.match(ready.stderr, /answered 503: .*no configuration yet/);
    }
    await runProgram(process.execPath, [join(REPO_ROOT, 'bin/turnpike.ts'), 'stop'], node.env);
    await node.exited;
    const gone = await runProgram(process.execPath, [HEALTH], node.env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Turnpike is not running .*ECONNREFUSED/);
  });

  test('finds status_listen where start does: -c, TURNPIKE_CONF, then KONG_STATUS_LISTEN and TURNPIKE_STATUS_LISTEN over the file', async () => {
    const port = await freePort();
    await using node = await liveNode(`127.0.0.1:${port}`);
    const conf = join(dir, 'turnpike.conf');
    await writeFile(conf, `log_level = info\nstatus_listen = 127.0.0.1:${port} reuseport\n`);
    const wrong = `127.0.0.1:${await freePort()}`;
    const cases: [string[], Record<string, string>][] = [
      [['-c', conf], {}],
      [[], { TURNPIKE_CONF: conf }],
      [[], { TURNPIKE_CONF: conf, KONG_STATUS_LISTEN: `127.0.0.1:${port}` }],
      [['-c', conf], { KONG_STATUS_LISTEN: wrong, TURNPIKE_STATUS_LISTEN: `0.0.0.0:${port}` }],
    ];
    for (const [args, env] of cases) {
      const result = await runProgram(process.execPath, [HEALTH, ...args], {
        TURNPIKE_PREFIX: node.prefix,
        ...env,
      });
      assert.equal(result.code, 0, `${args.join(' ')} ${JSON.stringify(env)}: ${result.stderr}`);
    }
    const missed = await runProgram(process.execPath, [HEALTH, '-c', conf], { KONG_STATUS_LISTEN: wrong });
    assert.equal(missed.code, 1, 'KONG_STATUS_LISTEN wins over the file, as in start');
    const noFile = await runProgram(process.execPath, [HEALTH, '-c', join(dir, 'missing.conf')]);
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /ENOENT/);
  });
});
