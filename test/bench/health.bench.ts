/**
 * Health check benchmark: `node test/bench/health.bench.ts` (through scripts/toolchain.sh).
 * Starts one node, then runs the images' HEALTHCHECK (bin/health.cjs) and the full CLI's
 * `turnpike health` against it, RUNS times each, and prints the median wall time and the largest
 * peak RSS of each probe process (read by a preloaded hook at its exit). Nothing is asserted.
 */

import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.ts';
import { cleanEnv, REPO_ROOT, startTurnpike, TURNPIKE_BIN } from '../helpers/turnpike.ts';

const RUNS = 15;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-health-bench-'));
  const hook = join(dir, 'max-rss.cjs');
  const report = "require('node:fs').writeSync(2, 'maxrss ' + process.resourceUsage().maxRSS + '\\n')";
  await writeFile(hook, `process.on('exit', () => ${report});\n`);
  await using node = await startTurnpike({
    env: {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_MTLS: 'off',
      TURNPIKE_CLUSTER_CONTROL_PLANE: '127.0.0.1:1',
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    },
  });
  const probes: [string, string[]][] = [
    ['bin/health.cjs (HEALTHCHECK)', [join(REPO_ROOT, 'bin/health.cjs')]],
    ['turnpike health (full CLI)', [TURNPIKE_BIN, 'health']],
  ];
  for (const [name, args] of probes) {
    const times: number[] = [];
    let maxRss = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const run = spawnSync(process.execPath, ['--require', hook, ...args], {
        cwd: REPO_ROOT,
        env: { ...cleanEnv(), ...node.env },
        encoding: 'utf8',
      });
      times.push(performance.now() - started);
      if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
      const kb = Number(/maxrss (\d+)/.exec(run.stderr)?.[1] ?? 0);
      maxRss = Math.max(maxRss, kb);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? 0;
    console.log(
      `${name.padEnd(30)} median ${median.toFixed(0).padStart(5)} ms   peak RSS ${(maxRss / 1024).toFixed(1)} MB`,
    );
  }
  await rm(dir, { recursive: true, force: true });
}

await main();
