/**
 * CPU per gRPC call: the protocols section's gRPC load (protocols-peer.ts `grpc-load`), with the
 * CPU time each target and the echo server spent per call, a figure that holds on a shared
 * machine where calls/s does not.
 *
 *   node test/bench/grpc-cpu.ts [seconds=3] [repetitions=3] [target ...]
 *
 * Targets: `direct` (the grpc-js echo server), `turnpike` (traditional, 1 worker, an h2c listener,
 * as the protocols section starts it) and `forward` (the bare node:http2 forwarder,
 * protocols-peer.ts `grpc-forward`: what node:http2 costs any Node gRPC proxy). Every target and
 * the echo server on CPU 0, the load on CPU 1, as in the section; repetitions rotate the order.
 * CPU is utime + stime from /proc/<pid>/stat over the target's process tree, before and after.
 * `GRPC_CPU_PROF=<dir>` starts Turnpike with `--cpu-prof` into that directory (written when the
 * node stops; read them with cpuprofile-summary.ts); `BENCH_TURNPIKE_<KEY>=<value>` sets Turnpike's
 * `TURNPIKE_<KEY>` (e.g. `BENCH_TURNPIKE_PROXY_ACCESS_LOG=off`).
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { treeCpuSeconds } from './processes.ts';
import { type GrpcRun, LOAD_CPU, PEER, startPeer, startTurnpikeTarget } from './protocols-targets.ts';

const run = promisify(execFile);

const [secondsArg, repsArg, ...names] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 3);
const repetitions = Number(repsArg ?? 3);
const targets = names.length > 0 ? names : ['direct', 'turnpike', 'forward'];

await using server = await startPeer('grpc-server');
await using stack = new AsyncDisposableStack();
const ports: Record<string, { port: number; pid: number | undefined }> = {
  direct: { port: server.port, pid: undefined },
};
if (targets.includes('forward')) {
  const f = stack.use(await startPeer('grpc-forward', String(server.port)));
  ports.forward = { port: f.port, pid: f.child.pid! };
}
if (targets.includes('turnpike')) {
  const prof = process.env.GRPC_CPU_PROF;
  const env: Record<string, string> =
    prof === undefined ? {} : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${prof}` };
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('BENCH_TURNPIKE_') && v !== undefined) env[k.slice('BENCH_'.length)] = v;
  // A sink port nobody listens on: the stream route is never used here.
  const t = stack.use(await startTurnpikeTarget(server.port, 9, env));
  ports.turnpike = { port: t.grpcPort, pid: t.pid };
}

async function load(port: number): Promise<GrpcRun> {
  const { stdout } = await run(
    'taskset',
    ['-c', LOAD_CPU, process.execPath, PEER, 'grpc-load', `127.0.0.1:${port}`, '4', '64', String(seconds)],
    { timeout: seconds * 1000 + 30_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as GrpcRun;
}

// Warm-up: every target once, untimed.
for (const t of targets) await load(ports[t]!.port);
const rows: string[] = [];
for (let rep = 0; rep < repetitions; rep++) {
  const order = [...targets.slice(rep % targets.length), ...targets.slice(0, rep % targets.length)];
  for (const t of order) {
    const { port, pid } = ports[t]!;
    const s0 = treeCpuSeconds(server.child.pid!);
    const p0 = pid === undefined ? 0 : treeCpuSeconds(pid);
    const r = await load(port);
    const s1 = treeCpuSeconds(server.child.pid!);
    const p1 = pid === undefined ? 0 : treeCpuSeconds(pid);
    const perCall = (cpu: number) => ((cpu * 1e6) / r.calls).toFixed(1);
    rows.push(
      `${t.padEnd(9)} ${(r.calls / r.seconds).toFixed(0).padStart(6)} calls/s  target ${perCall(p1 - p0).padStart(6)} µs/call  echo server ${perCall(s1 - s0).padStart(6)} µs/call  load CPU ${(r.cpu * 100).toFixed(0)}%  errors ${r.errors}${r.firstError === undefined ? '' : ` (${r.firstError})`}`,
    );
    console.log(rows.at(-1));
  }
}
