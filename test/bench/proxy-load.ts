/**
 * One interleaved load run over the targets the selected sections need (proxy, plugins, router
 * share it). The upstream (Debian's nginx, or a node:http one when nginx is missing) and each
 * single-process target are pinned to PROXY_CPU, wrk and hey (and this process) to LOAD_CPU.
 * Each repetition visits every target in a rotated order: a wrk warm-up, a wrk run
 * (throughput, latency at saturation), then hey at a fixed rate (p99 where nothing saturates).
 * Every process started here is stopped before it returns, on success or failure.
 */

import { type HeyFigures, runHey, runWrk, type WrkFigures } from './load.ts';
import { othersShare, sampleCpu } from './machine.ts';
import { startNginx } from './nginx.ts';
import { ALL_CPUS, pinProcess, pinTree, spawnListening, treeCpuSeconds, treeMemory } from './processes.ts';
import {
  checkAnswers,
  LOAD_CPU,
  PROXY_CPU,
  type StartedTarget,
  startTarget,
  TARGET_LABELS,
  type TargetFixture,
  type TargetKey,
  targetCpus,
} from './proxy-targets.ts';
import { median } from './report.ts';
import type { Tools } from './tools.ts';

/** The fixed rate of the latency figure, req/s (issue 14: "p99 at 3,000 req/s"). */
export const FIXED_RATE = 3_000;

export interface LoadPlan {
  readonly reps: number;
  readonly warmupSeconds: number;
  readonly wrkSeconds: number;
  readonly heySeconds: number;
}

export const FULL_LOAD: LoadPlan = { reps: 3, warmupSeconds: 1, wrkSeconds: 5, heySeconds: 4 };
export const QUICK_LOAD: LoadPlan = { reps: 1, warmupSeconds: 0, wrkSeconds: 2, heySeconds: 2 };

export interface TargetRun {
  readonly wrk: WrkFigures;
  readonly hey: HeyFigures | undefined;
  /**
   * CPU time the target's processes used per request during the wrk run, in µs (NaN without a
   * pid): a figure that holds when other processes take CPU from the target and req/s does not.
   */
  readonly cpuUs: number;
  /** RSS of the target's process tree right after the wrk run, in bytes (undefined without a pid). */
  readonly rssAfterLoad: number | undefined;
}

export interface TargetResult {
  readonly key: TargetKey;
  readonly label: string;
  readonly runs: readonly TargetRun[];
  /** Medians over the repetitions. */
  readonly rps: number;
  readonly wrkP50: number;
  readonly wrkP99: number;
  readonly heyRate: number;
  readonly heyP99: number;
  /** Median over repetitions of (this target's hey p99 − direct's, same repetition). */
  readonly addedP99: number;
  readonly errors: number;
  /** Median over repetitions of the target's CPU per request under wrk (µs; NaN: not measured). */
  readonly cpuUs: number;
  /** Share of its CPU the load generator used (median): near 1, it may have set the pace. */
  readonly wrkCpu: number;
  readonly heyCpu: number;
  /**
   * RSS of the target's process tree once started, right after its wrk runs (median over the
   * repetitions: every target is read at the same moment of its own load), and at the end of the
   * whole run (after the other targets' load: settled or not, depending on the order), in bytes.
   */
  readonly rssBefore?: number;
  readonly rssUnderLoad?: number;
  readonly rssAfter?: number;
  /** What the target measured besides the load. */
  readonly extra?: string;
}

export interface LoadResults {
  readonly plan: LoadPlan;
  readonly results: ReadonlyMap<TargetKey, TargetResult>;
  /** Targets not measured, and why ("nginx missing", a start failure…). */
  readonly skipped: ReadonlyMap<TargetKey, string>;
  /** How the run was set up: upstream, pinning, tools. */
  readonly setup: readonly string[];
}

/** The upstream every target forwards to, pinned to the proxy CPU. */
async function startUpstream(tools: Tools, stack: AsyncDisposableStack, setup: string[]): Promise<number> {
  const nginx = tools.get('nginx');
  if (nginx !== undefined) {
    const upstream = stack.use(await startNginx(nginx.path, { kind: 'upstream' }));
    await pinTree(upstream.child.pid!, PROXY_CPU);
    setup.push(`upstream: nginx ${nginx.version}, 1 worker, a static 79-byte JSON answer, keep-alive`);
    return upstream.port;
  }
  const gateways = new URL('./gateways.ts', import.meta.url).pathname;
  const upstream = stack.use(await spawnListening(process.execPath, [gateways, 'upstream']));
  await pinTree(upstream.child.pid!, PROXY_CPU);
  setup.push('upstream: node:http (nginx missing), a 79-byte JSON answer, keep-alive');
  return upstream.port;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function summarise(
  key: TargetKey,
  runs: TargetRun[],
  direct: readonly TargetRun[] | undefined,
): TargetResult {
  const heys = runs.map((r) => r.hey);
  const added = runs.flatMap((r, i) => {
    const base = direct?.[i]?.hey;
    return r.hey === undefined || base === undefined ? [] : [r.hey.p99 - base.p99];
  });
  const defined = heys.filter((h): h is HeyFigures => h !== undefined);
  return {
    key,
    label: TARGET_LABELS[key],
    runs,
    rps: median(runs.map((r) => r.wrk.rps)),
    wrkP50: median(runs.map((r) => r.wrk.p50)),
    wrkP99: median(runs.map((r) => r.wrk.p99)),
    heyRate: median(defined.map((h) => h.rps)),
    heyP99: median(defined.map((h) => h.p99)),
    addedP99: median(added),
    errors: runs.reduce((n, r) => n + r.wrk.errors + (r.hey?.errors ?? 0), 0),
    cpuUs: median(runs.map((r) => r.cpuUs)),
    wrkCpu: median(runs.map((r) => r.wrk.generatorCpu ?? Number.NaN)),
    heyCpu: median(defined.map((h) => h.generatorCpu ?? Number.NaN)),
  };
}

/** Starts the targets (in parallel), checks each answers, pins it; failures are skipped with the reason. */
async function startTargets(
  keys: readonly TargetKey[],
  fixture: TargetFixture,
  stack: AsyncDisposableStack,
  skipped: Map<TargetKey, string>,
): Promise<Map<TargetKey, StartedTarget>> {
  const started = new Map<TargetKey, StartedTarget>();
  const settled = await Promise.allSettled(keys.map((key) => startTarget(key, fixture)));
  for (const [i, outcome] of settled.entries()) {
    const key = keys[i]!;
    if (outcome.status === 'rejected') {
      skipped.set(key, `did not start: ${String((outcome.reason as Error).message).split('\n')[0]}`);
      continue;
    }
    const target = stack.use(outcome.value);
    try {
      await checkAnswers(key, target.request);
      if (target.pid !== undefined) await pinTree(target.pid, targetCpus(key));
      started.set(key, target);
    } catch (error) {
      skipped.set(key, (error as Error).message.split('\n')[0]!);
    }
  }
  return started;
}

/** Measures `keys` (direct always among them) as the plan says; prints each figure as it comes. */
export async function runLoad(
  keys: readonly TargetKey[],
  tools: Tools,
  plan: LoadPlan,
  certs: TargetFixture['certs'],
): Promise<LoadResults> {
  const skipped = new Map<TargetKey, string>();
  const setup: string[] = [];
  const wrk = tools.get('wrk');
  const hey = tools.get('hey');
  const wanted: TargetKey[] = keys.includes('direct') ? [...keys] : ['direct', ...keys];
  const needsNginx = (k: TargetKey) => k === 'nginx-1' || k === 'nginx-2';
  if (wrk === undefined) {
    for (const key of wanted) skipped.set(key, 'wrk missing');
    return { plan, results: new Map(), skipped, setup: ['skipped: wrk missing'] };
  }
  await using stack = new AsyncDisposableStack();
  const upstreamPort = await startUpstream(tools, stack, setup);
  const keysToStart = wanted.filter((k) => !(needsNginx(k) && tools.get('nginx') === undefined));
  for (const key of wanted) if (!keysToStart.includes(key)) skipped.set(key, 'nginx missing');
  console.log(`  starting ${keysToStart.length} targets`);
  const started = await startTargets(keysToStart, { tools, upstreamPort, certs }, stack, skipped);
  for (const [key, why] of skipped) console.log(`  skipped ${TARGET_LABELS[key]}: ${why}`);

  setup.push(
    LOAD_CPU === undefined
      ? 'one CPU: nothing pinned'
      : `pinned with taskset: upstream and single-process targets on CPU ${PROXY_CPU}, two-worker targets on CPUs ${ALL_CPUS}, wrk/hey (and the benchmark process) on CPU ${LOAD_CPU}`,
    `wrk ${wrk.version}: -t1 -c50, ${plan.warmupSeconds === 0 ? 'no' : `${plan.warmupSeconds} s`} warm-up + ${plan.wrkSeconds} s per target and repetition`,
    hey === undefined
      ? 'skipped: hey missing (no fixed-rate figures)'
      : `hey ${hey.version}: -c 50 -q ${FIXED_RATE / 50} (${FIXED_RATE.toLocaleString('en')} req/s in all) for ${plan.heySeconds} s, right after wrk`,
    `${plan.reps} repetition${plan.reps === 1 ? '' : 's'}, targets interleaved in a rotated order each time; medians reported`,
  );
  if (LOAD_CPU !== undefined) await pinProcess(process.pid, LOAD_CPU);
  const rssOf = async (key: TargetKey) => {
    const pid = started.get(key)?.pid;
    return pid === undefined ? undefined : (await treeMemory(pid)).rss;
  };
  const rssBefore = new Map<TargetKey, number | undefined>();
  for (const key of started.keys()) rssBefore.set(key, await rssOf(key));
  const cpuAtStart = sampleCpu();
  const runs = new Map<TargetKey, TargetRun[]>([...started.keys()].map((k) => [k, []]));
  try {
    const options = { tool: wrk.path, cpu: LOAD_CPU };
    for (let rep = 0; rep < plan.reps; rep++) {
      for (const key of rotate([...started.keys()], rep)) {
        const request = started.get(key)!.request;
        if (plan.warmupSeconds > 0) await runWrk(options, request, plan.warmupSeconds);
        const pid = started.get(key)!.pid;
        const cpuBefore = pid === undefined ? Number.NaN : treeCpuSeconds(pid);
        const w = await runWrk(options, request, plan.wrkSeconds);
        const cpuUs =
          pid === undefined || w.requests === 0
            ? Number.NaN
            : ((treeCpuSeconds(pid) - cpuBefore) * 1e6) / w.requests;
        const rssAfterLoad = await rssOf(key);
        const h =
          hey === undefined
            ? undefined
            : await runHey({ tool: hey.path, cpu: LOAD_CPU }, request, plan.heySeconds, FIXED_RATE);
        runs.get(key)!.push({ wrk: w, hey: h, cpuUs, rssAfterLoad });
        console.log(
          `  rep ${rep + 1}/${plan.reps} ${TARGET_LABELS[key].padEnd(46)} ${w.rps.toFixed(0).padStart(7)} req/s  p99 ${w.p99.toFixed(2)} ms` +
            (h === undefined ? '' : `  | ${h.rps.toFixed(0)} req/s fixed: p99 ${h.p99.toFixed(2)} ms`) +
            (w.errors + (h?.errors ?? 0) > 0 ? `  errors ${w.errors + (h?.errors ?? 0)}` : ''),
        );
      }
    }
  } finally {
    if (LOAD_CPU !== undefined) await pinProcess(process.pid, ALL_CPUS);
  }
  const others = othersShare(cpuAtStart, sampleCpu());
  if (Number.isFinite(others))
    setup.push(
      `other processes used ${(others * 100).toFixed(0)}% of the machine's CPU during the load run${others > 0.1 ? ': the targets competed with them for CPU 0, so these figures are a rough reading' : ''}`,
    );
  const direct = runs.get('direct');
  const results = new Map<TargetKey, TargetResult>();
  for (const [key, targetRuns] of runs) {
    const before = rssBefore.get(key);
    const after = await rssOf(key);
    const underLoad = targetRuns.flatMap((r) => (r.rssAfterLoad === undefined ? [] : [r.rssAfterLoad]));
    const extra = started.get(key)?.extra?.();
    results.set(key, {
      ...summarise(key, targetRuns, direct),
      ...(before === undefined ? {} : { rssBefore: before }),
      ...(underLoad.length === 0 ? {} : { rssUnderLoad: median(underLoad) }),
      ...(after === undefined ? {} : { rssAfter: after }),
      ...(extra === undefined ? {} : { extra }),
    });
  }
  return { plan, results, skipped, setup };
}
