/**
 * The protocols section (`pnpm bench protocols`), in one run on one upstream each:
 * - gRPC unary calls/s (protocols-peer.ts `grpc-load`: grpc-js, many calls in flight on a fixed
 *   number of channels, in its own process on the load CPU) direct to the grpc-js echo server,
 *   through Turnpike (traditional, 1 worker, an h2c listener) and through nginx `grpc_pass`
 *   (Debian packages no Envoy, the issue's first choice of reference);
 * - TCP throughput (MB/s) of a fixed number of bytes to a sink, over one connection and over 4 at
 *   once, direct, through a Turnpike stream route and through nginx `stream`.
 * Repetitions visit every target in an order rotated by one each time; figures are medians.
 */

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { echoClient, unary } from '../e2e/grpc-fixtures.ts';
import {
  type GrpcRun,
  LOAD_CPU,
  PEER,
  startNginxTarget,
  startPeer,
  startTurnpikeTarget,
} from './protocols-targets.ts';
import { fixed, median, type Report, rate, ratio } from './report.ts';
import { ensureNginxStream, type Tools } from './tools.ts';

const run = promisify(execFile);
const MB = 1024 * 1024;

export interface ProtocolsPlan {
  readonly repetitions: number;
  /** Seconds of gRPC load per target and repetition. */
  readonly grpcSeconds: number;
  readonly channels: number;
  readonly inflight: number;
  /** Bytes sent over each TCP connection. */
  readonly tcpBytes: number;
  readonly parallel: number;
}

export const FULL_PROTOCOLS: ProtocolsPlan = {
  repetitions: 3,
  grpcSeconds: 5,
  channels: 4,
  inflight: 64,
  tcpBytes: 256 * MB,
  parallel: 4,
};
export const QUICK_PROTOCOLS: ProtocolsPlan = {
  ...FULL_PROTOCOLS,
  repetitions: 1,
  grpcSeconds: 2,
  tcpBytes: 64 * MB,
};

type TargetName = 'direct' | 'turnpike' | 'nginx' | 'pipe';
const LABELS: Readonly<Record<TargetName, string>> = {
  direct: 'direct',
  turnpike: 'Turnpike, 1 worker',
  nginx: 'nginx, 1 worker',
  pipe: 'bare node:net pipe',
};
const TCP_LABELS: Readonly<Record<TargetName, string>> = {
  direct: 'direct',
  turnpike: 'Turnpike stream route, 1 worker',
  nginx: 'nginx `stream`, 1 worker',
  pipe: 'bare node:net forwarder (`pipe` both ways)',
};

interface TcpRun {
  bytes: number;
  seconds: number;
  cpu: number;
  counted: number[];
}

/** Runs a protocols-peer load role pinned to the load CPU and reads its JSON line. */
async function peerLoad<T>(args: readonly string[], timeoutMs: number): Promise<T> {
  const { stdout } = await run('taskset', ['-c', LOAD_CPU, process.execPath, PEER, ...args], {
    timeout: timeoutMs,
    maxBuffer: 1024 * 1024,
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as T;
}

/** Until a unary call through `port` succeeds (the route is served), within 20 s. */
async function grpcServed(port: number, target: string): Promise<void> {
  const client = echoClient(`127.0.0.1:${port}`);
  try {
    let last = '';
    for (const until = Date.now() + 20_000; Date.now() < until; ) {
      const r = await unary(client, 'Unary', Buffer.from('ready'), { deadlineMs: 2_000 });
      if (r.error === null) return;
      last = r.error.message;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`gRPC through port ${port} (${target}) never answered: ${last}`);
  } finally {
    client.close();
  }
}

/** Until one byte sent to `port` is counted by the sink (the stream route is served), within 20 s. */
async function tcpServed(port: number, target: string): Promise<void> {
  for (const until = Date.now() + 20_000; Date.now() < until; ) {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    socket.on('error', () => undefined);
    const chunks: Buffer[] = [];
    socket.on('data', (b: Buffer) => chunks.push(b));
    try {
      await once(socket, 'connect');
      socket.end(Buffer.from('x'));
      await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 2_000))]);
      const all = Buffer.concat(chunks);
      if (all.length === 8 && all.readBigUInt64BE() === 1n) return;
    } catch {
      // Not served yet.
    } finally {
      socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`TCP through port ${port} (${target}) never reached the sink`);
}

/** Targets in the order of repetition `rep`: rotated by one each time. */
function rotated<T>(items: readonly T[], rep: number): T[] {
  const k = rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** As the proxy section: repetitions more than 30% apart make a ratio `noisy`. */
function noisy(sides: readonly (readonly [string, readonly number[]])[]): string {
  const names = sides
    .filter(([, v]) => v.length > 1 && Math.max(...v) / Math.min(...v) > 1.3)
    .map(([name]) => name);
  return names.length === 0 ? '' : `; noisy, repetitions > 30% apart: ${names.join(', ')}`;
}

const spread = (values: readonly number[], show: (v: number) => string): string =>
  values.length > 1 ? ` (${values.map(show).join(' / ')})` : '';

export async function protocolsSection(report: Report, tools: Tools, plan: ProtocolsPlan): Promise<void> {
  const nginx = tools.get('nginx');
  const stream = nginx === undefined ? { missing: 'nginx missing' } : await ensureNginxStream(nginx);
  if ('module' in stream && stream.module !== undefined)
    report.note(`nginx's stream module loaded from ${stream.module} (Debian's libnginx-mod-stream)`);

  await using grpcServer = await startPeer('grpc-server');
  await using sink = await startPeer('tcp-sink');
  // The floor of any Node TCP proxy: node:net sockets piped both ways, nothing else.
  await using pipe = await startPeer('tcp-pipe', String(sink.port));
  await using turnpike = await startTurnpikeTarget(grpcServer.port, sink.port);
  await using stack = new AsyncDisposableStack();
  const grpcPorts: Partial<Record<TargetName, number>> = {
    direct: grpcServer.port,
    turnpike: turnpike.grpcPort,
  };
  const tcpPorts: Partial<Record<TargetName, number>> = {
    direct: sink.port,
    turnpike: turnpike.streamPort,
    pipe: pipe.port,
  };
  let nginxWhy: string | undefined;
  if (nginx === undefined) nginxWhy = 'nginx missing';
  else if ('missing' in stream) nginxWhy = stream.missing;
  else {
    const n = stack.use(
      await startNginxTarget(nginx.path, { grpc: grpcServer.port, sink: sink.port }, stream.module),
    );
    grpcPorts.nginx = n.grpcPort;
    tcpPorts.nginx = n.streamPort;
  }
  for (const [t, port] of Object.entries(grpcPorts)) await grpcServed(port, t);
  for (const [t, port] of Object.entries(tcpPorts)) await tcpServed(port, t);

  const grpcTargets = Object.keys(grpcPorts) as TargetName[];
  const grpc = new Map<TargetName, GrpcRun[]>(grpcTargets.map((t) => [t, []]));
  const tcpTargets = Object.keys(tcpPorts) as TargetName[];
  const tcp1 = new Map<TargetName, TcpRun[]>(tcpTargets.map((t) => [t, []]));
  const tcpN = new Map<TargetName, TcpRun[]>(tcpTargets.map((t) => [t, []]));
  const grpcArgs = (port: number) => [
    'grpc-load',
    `127.0.0.1:${port}`,
    String(plan.channels),
    String(plan.inflight),
    String(plan.grpcSeconds),
  ];
  const tcpArgs = (port: number, n: number) => ['tcp-load', String(port), String(plan.tcpBytes), String(n)];
  for (let rep = 0; rep < plan.repetitions; rep++) {
    for (const t of rotated(grpcTargets, rep)) {
      grpc.get(t)!.push(await peerLoad<GrpcRun>(grpcArgs(grpcPorts[t]!), plan.grpcSeconds * 1000 + 30_000));
    }
    for (const t of rotated(tcpTargets, rep)) {
      tcp1.get(t)!.push(await peerLoad<TcpRun>(tcpArgs(tcpPorts[t]!, 1), 120_000));
      tcpN.get(t)!.push(await peerLoad<TcpRun>(tcpArgs(tcpPorts[t]!, plan.parallel), 120_000));
    }
  }

  // gRPC rows.
  const callsPerSecond = (r: GrpcRun) => r.calls / r.seconds;
  const grpcRate = (t: TargetName) => median(grpc.get(t)!.map(callsPerSecond));
  const shape = `${plan.channels} channels, ${plan.inflight} calls in flight, ${plan.grpcSeconds} s, 64-byte messages`;
  for (const t of grpcTargets) {
    const runs = grpc.get(t)!;
    const errors = runs.reduce((n, r) => n + r.errors, 0);
    const firstError = runs.find((r) => r.firstError !== undefined)?.firstError;
    report.add(
      `gRPC unary, ${t === 'nginx' ? 'nginx `grpc_pass`, 1 worker' : LABELS[t]}`,
      `${rate(grpcRate(t))} calls/s${spread(runs.map(callsPerSecond), rate)}; load generator CPU ${fixed(median(runs.map((r) => r.cpu * 100)), 0)}%; errors ${errors}${firstError === undefined ? '' : ` (${firstError})`}`,
      '',
    );
  }
  report.note(`gRPC load: grpc-js unary calls from one process pinned to CPU ${LOAD_CPU} (${shape})`);
  const grpcRatio = ratio(grpcRate('turnpike'), grpcRate('direct'));
  report.add(
    'gRPC unary calls/s, Turnpike ÷ direct',
    `${fixed(grpcRatio)} (${rate(grpcRate('turnpike'))} ÷ ${rate(grpcRate('direct'))} calls/s${noisy([
      ['Turnpike', grpc.get('turnpike')!.map(callsPerSecond)],
      ['direct', grpc.get('direct')!.map(callsPerSecond)],
    ])})`,
    '≥ 0.5',
    Number.isFinite(grpcRatio) ? grpcRatio >= 0.5 : undefined,
  );
  const reference = 'nginx `grpc_pass` (Debian packages no Envoy)';
  if (grpcPorts.nginx === undefined)
    report.skip(`gRPC unary calls/s, Turnpike ÷ ${reference}`, '', nginxWhy ?? '');
  else {
    const r = ratio(grpcRate('turnpike'), grpcRate('nginx'));
    report.add(
      `gRPC unary calls/s, Turnpike ÷ ${reference}`,
      `${fixed(r)} (${rate(grpcRate('turnpike'))} ÷ ${rate(grpcRate('nginx'))} calls/s)`,
      '',
    );
  }

  // TCP rows.
  const mbps = (r: TcpRun) => r.bytes / MB / r.seconds;
  const intact = (r: TcpRun, perConnection: number) => r.counted.every((c) => c === perConnection);
  for (const [label, runs] of [
    ['1 connection', tcp1],
    [`${plan.parallel} connections at once`, tcpN],
  ] as const) {
    const tcpRate = (t: TargetName) => median(runs.get(t)!.map(mbps));
    for (const t of tcpTargets) {
      const rs = runs.get(t)!;
      const lost = rs.filter((r) => !intact(r, plan.tcpBytes)).length;
      report.add(
        `TCP ${plan.tcpBytes / MB} MB per connection, ${label}, ${TCP_LABELS[t]}`,
        `${fixed(tcpRate(t), 0)} MB/s${spread(rs.map(mbps), (v) => fixed(v, 0))}; sender CPU ${fixed(median(rs.map((r) => r.cpu * 100)), 0)}%${lost === 0 ? '; every byte counted by the sink' : `; ${lost} run(s) with bytes missing at the sink`}`,
        '',
      );
    }
    const r = ratio(tcpRate('turnpike'), tcpRate('direct'));
    report.add(
      `TCP MB/s, ${label}, Turnpike ÷ direct`,
      `${fixed(r)} (${fixed(tcpRate('turnpike'), 0)} ÷ ${fixed(tcpRate('direct'), 0)} MB/s${noisy([
        ['Turnpike', runs.get('turnpike')!.map(mbps)],
        ['direct', runs.get('direct')!.map(mbps)],
      ])})`,
      '≥ 0.8',
      Number.isFinite(r) ? r >= 0.8 : undefined,
    );
    const floor = ratio(tcpRate('pipe'), tcpRate('direct'));
    const overFloor = ratio(tcpRate('turnpike'), tcpRate('pipe'));
    report.add(
      `TCP MB/s, ${label}, bare node:net forwarder ÷ direct (what node:net allows any Node proxy)`,
      `${fixed(floor)} (${fixed(tcpRate('pipe'), 0)} ÷ ${fixed(tcpRate('direct'), 0)} MB/s)`,
      '',
    );
    report.add(
      `TCP MB/s, ${label}, Turnpike ÷ bare node:net forwarder`,
      `${fixed(overFloor)} (${fixed(tcpRate('turnpike'), 0)} ÷ ${fixed(tcpRate('pipe'), 0)} MB/s)`,
      '',
    );
    if (tcpPorts.nginx === undefined)
      report.skip(`TCP MB/s, ${label}, Turnpike ÷ nginx \`stream\``, '', nginxWhy ?? '');
    else {
      const n = ratio(tcpRate('turnpike'), tcpRate('nginx'));
      report.add(
        `TCP MB/s, ${label}, Turnpike ÷ nginx \`stream\``,
        `${fixed(n)} (${fixed(tcpRate('turnpike'), 0)} ÷ ${fixed(tcpRate('nginx'), 0)} MB/s)`,
        '',
      );
    }
  }
  report.note(
    `targets and their upstreams (grpc-js echo server, TCP sink) pinned to CPU 0, the load generators to CPU ${LOAD_CPU}; ${plan.repetitions} repetition(s), medians`,
  );
}
