/**
 * `node test/bench/dbless-footprint.ts [runs]`: issue 19's two figures for a DB-less node (1 worker,
 * a kong.yml of 1,000 routes), alone and quickly, for work on them: spawn → the last route's first
 * proxied 200 (and the CPU time the node used until then, steadier than wall-clock time on a
 * shared machine), then, after the memory bench's settle time (3 s: the node gives start-up's
 * memory back once idle), RSS and PSS of each process of the node. The same node and probe
 * as the memory and startup sections (dbless-node.ts), without the rest of those sections.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { spawnDblessNode, writeDblessFile } from './dbless-node.ts';
import { processTree, treeMemory } from './processes.ts';
import { Probe } from './sync-fixtures.ts';

const MB = 1024 * 1024;

/** User + system CPU time of `pid` and its descendants so far, in ms (/proc/<pid>/stat). */
function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${member}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}
const runs = Number(process.argv[2] ?? 3);
await using upstream = await startEchoUpstream('dbless-footprint');
await using file = await writeDblessFile(1_000, upstream.url);
for (let run = 0; run < runs; run++) {
  const prefix = await mkdtemp(join(tmpdir(), 'turnpike-bench-dbless-'));
  try {
    const spawned = await spawnDblessNode(file.path, prefix);
    spawned.started.catch(() => undefined);
    const probe = new Probe(spawned.proxyUrl);
    let ready: number;
    try {
      ready = (await probe.firstOkAt(file.lastRoute, 2, 60_000)) - spawned.spawnedAt;
    } finally {
      await probe.close();
    }
    await using node = await spawned.started;
    const cpu = treeCpuMs(node.child.pid!);
    await sleep(3_000);
    const m = await treeMemory(node.child.pid!);
    const each = m.processes.map((p) => `${(p.rss / MB).toFixed(0)}`).join(' + ');
    process.stdout.write(
      `run ${run + 1}: ready ${ready.toFixed(0)} ms (CPU ${cpu.toFixed(0)} ms); RSS ${(m.rss / MB).toFixed(0)} MB summed (${each}); PSS ${(m.pss / MB).toFixed(0)} MB\n`,
    );
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}
