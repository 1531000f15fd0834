/**
 * CPU per request: a figure that holds on a shared, loaded machine where req/s does not.
 *
 *   node test/bench/cpu-per-request.ts [--readings=1] [requests=20000] [concurrency=50] [target ...]
 *
 * Starts every target (proxy-targets.ts) on one upstream, warms each up, then sends a fixed count
 * of keep-alive GETs with a fixed concurrency from this process (undici Pool) and reports the
 * CPU time (utime + stime from /proc/<pid>/stat, summed over the target's process tree)
 * spent per request. The upstream's CPU is not counted. With `--readings=N`, each target sends its
 * count N times after the warm-up and the line gives every reading and their median (the first
 * reading after a start often carries JIT and GC catch-up). Readings are interleaved, the order
 * of the targets rotated each round: a machine that grows quieter or busier during the run
 * weighs on every target alike (one target's readings after another's read 0.76 where the
 * interleaved ratio was 0.94). Bounded: a fixed request count,
 * 127.0.0.1 only, every process started is stopped.
 */

import { Pool } from 'undici';
import { genClusterCert } from '../helpers/cluster.ts';
import { startNginx } from './nginx.ts';
import { spawnListening, treeCpuSeconds } from './processes.ts';
import { checkAnswers, startTarget, TARGET_KEYS, type TargetKey } from './proxy-targets.ts';
import { ensureTools } from './tools.ts';

/** Sends `count` GETs over `concurrency` keep-alive connections; resolves with the non-200 count. */
async function send(url: string, headers: Record<string, string>, count: number, concurrency: number) {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: concurrency, pipelining: 1 });
  let left = count;
  let errors = 0;
  const lane = async () => {
    while (left > 0) {
      left--;
      const res = await pool.request({ method: 'GET', path: u.pathname + u.search, headers });
      if (res.statusCode !== 200) errors++;
      await res.body.dump();
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await pool.close();
  }
  return errors;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const readingsArg = args.find((a) => a.startsWith('--readings='));
  const readings = readingsArg === undefined ? 1 : Number(readingsArg.slice('--readings='.length));
  if (!Number.isInteger(readings) || readings < 1) throw new Error(`bad ${readingsArg}`);
  const [countArg, concArg, ...rest] = args.filter((a) => a !== readingsArg);
  const count = Number(countArg ?? 20_000);
  const concurrency = Number(concArg ?? 50);
  const keys = (rest.length > 0 ? rest : ['nginx-1', 'bare', 'turnpike-1']) as TargetKey[];
  for (const k of keys) if (!TARGET_KEYS.includes(k)) throw new Error(`unknown target ${k}`);
  await using stack = new AsyncDisposableStack();
  const tools = await ensureTools(['nginx']);
  const nginx = tools.get('nginx');
  const upstreamPort =
    nginx !== undefined
      ? stack.use(await startNginx(nginx.path, { kind: 'upstream' })).port
      : stack.use(
          await spawnListening(process.execPath, [
            new URL('./gateways.ts', import.meta.url).pathname,
            'upstream',
          ]),
        ).port;
  const certs = async () => stack.use(await genClusterCert());
  let certsOnce: ReturnType<typeof certs> | undefined;
  const fixture = { tools, upstreamPort, certs: () => (certsOnce ??= certs()) };
  const targets = [];
  for (const key of keys) {
    const target = stack.use(await startTarget(key, fixture));
    await checkAnswers(key, target.request);
    if (target.pid === undefined) throw new Error(`${key}: no process to measure`);
    targets.push({ key, target, pid: target.pid, perRequest: [] as number[], errors: 0, wall: 0 });
  }
  for (const t of targets)
    await send(t.target.request.url, t.target.request.headers ?? {}, Math.min(5_000, count), concurrency);
  for (let i = 0; i < readings; i++) {
    for (let j = 0; j < targets.length; j++) {
      const t = targets[(i + j) % targets.length]!;
      const started = performance.now();
      const before = treeCpuSeconds(t.pid);
      t.errors += await send(t.target.request.url, t.target.request.headers ?? {}, count, concurrency);
      t.perRequest.push(((treeCpuSeconds(t.pid) - before) * 1e6) / count);
      t.wall += performance.now() - started;
    }
  }
  for (const { key, perRequest, errors, wall } of targets) {
    const sorted = [...perRequest].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] as number;
    const each = readings > 1 ? `, readings ${perRequest.map((v) => v.toFixed(1)).join(' ')}` : '';
    console.log(
      `${key.padEnd(20)} ${median.toFixed(1).padStart(7)} µs CPU/request` +
        `  (${readings > 1 ? `median of ${readings} × ` : ''}${count} requests, c=${concurrency}, wall ${(wall / 1000).toFixed(1)} s${each}${errors > 0 ? `, ${errors} non-200` : ''})`,
    );
  }
}

if (import.meta.main) await main();
