// temporary profiling harness (not committed)
import { Pool } from 'undici';
import { genClusterCert, startControlPlaneNode, startDataPlaneNode } from '../helpers/cluster.ts';
import { startPostgres } from '../helpers/postgres.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { appliedAt, openBenchStore } from './sync-fixtures.ts';

const DPS = Number(process.env.DPS ?? 0);
const BG = Number(process.env.BG ?? 10000);
const CLIENTS = Number(process.env.CLIENTS ?? 8);
const SECONDS = Number(process.env.SECONDS_ ?? 4);
await using stack = new AsyncDisposableStack();
const pg = stack.use(await startPostgres());
const certs = stack.use(await genClusterCert());
const upstream = stack.use(await startEchoUpstream('x'));
const env: Record<string, string> = process.env.PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.PROF}` } : {};
const cp = stack.use(await startControlPlaneNode(pg.dsn, certs, { env }));
const store = stack.use(await openBenchStore(pg.dsn, upstream.url));
await store.addBackgroundRoutes(0, BG);
const dps = [];
for (let i = 0; i < DPS; i++) dps.push(stack.use(await startDataPlaneNode(cp.clusterPort, certs, { env: { TURNPIKE_WORKER_PROCESSES: '1', ...(process.env.DPPROF && i === 0 ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.DPPROF}` } : {}) } })));
const v0 = await store.dao.configVersion();
await Promise.all(dps.map((dp) => appliedAt(dp, v0, 120_000)));
console.log('ready', v0);
import { readdirSync, readFileSync } from 'node:fs';
const cpu = () => { const m = new Map<string, number>(); for (const d of readdirSync('/proc')) { if (!/^\d+$/.test(d)) continue; try { const st = readFileSync(`/proc/${d}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 90); m.set(`${d} ${cmd}`, Number(f[11]) + Number(f[12])); } catch {} } return m; };
const c0 = cpu();
const pool = new Pool(cp.adminUrl, { connections: CLIENTS });
let created = 0, n = 0; const lat: number[] = [];
const t0 = performance.now(); const until = t0 + SECONDS * 1000;
await Promise.all(Array.from({ length: CLIENTS }, async () => {
  while (performance.now() < until) {
    const i = n++; const s = performance.now();
    const { statusCode, body } = await pool.request({ method: 'POST', path: '/services/bench/routes', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `cp-${i}`, paths: [`/cp/${i}/`] }) });
    await body.text(); lat.push(performance.now() - s);
    if (statusCode === 201) created++; else console.log(statusCode);
  }
}));
const el = (performance.now() - t0) / 1000;
const c1 = cpu(); const diff: [string, number][] = []; for (const [k, v] of c1) { const d = v - (c0.get(k) ?? 0); if (d > 5) diff.push([k, d]); } diff.sort((a, b) => b[1] - a[1]); for (const [k, d] of diff.slice(0, 25)) console.log(String(d * 10).padStart(6), 'ms', k);
lat.sort((a, b) => a - b);
console.log(`writes/s ${(created / el).toFixed(0)} p50 ${lat[lat.length >> 1]?.toFixed(1)} p99 ${lat[Math.floor(lat.length * 0.99)]?.toFixed(1)}`);
await pool.close();
const v1 = await store.dao.configVersion();
const w = performance.now();
await Promise.all(dps.map((dp) => appliedAt(dp, v1, 120_000)));
console.log('caught up', (performance.now() - w).toFixed(0));
