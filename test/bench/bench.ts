/**
 * The benchmark suite: `pnpm bench [--quick] [section…]` (or `npm run bench -- …`), see
 * test/bench/README.md. Runs the selected sections in a fixed order, prints each section's
 * table, writes test/bench/results/<date>.md, and checks that every process it started is
 * gone. Missed targets never fail a run; a section that crashes does (exit 1).
 */

import { join } from 'node:path';
import { genClusterCert } from '../helpers/cluster.ts';
import { BenchUsageError, parseArgs, resultsFileName, type SectionName, USAGE } from './args.ts';
import { controlPlaneSection, FULL_CONTROL_PLANE, QUICK_CONTROL_PLANE } from './control-plane.bench.ts';
import { countersRows, FULL_COUNTERS, QUICK_COUNTERS } from './counters.bench.ts';
import { type HybridCluster, startHybridCluster } from './hybrid-cluster.ts';
import { describeMachine, machineLines, othersShare, sampleCpu } from './machine.ts';
import { FULL_MEMORY, memorySection, QUICK_MEMORY } from './memory.bench.ts';
import { descendants, stopDescendants } from './processes.ts';
import {
  LOAD_SECTION_TARGETS,
  observabilitySection,
  pluginsSection,
  proxySection,
  routerSection,
} from './proxy.bench.ts';
import { FULL_LOAD, type LoadResults, QUICK_LOAD, runLoad } from './proxy-load.ts';
import type { TargetKey } from './proxy-targets.ts';
import { Report } from './report.ts';
import { type SectionOutcome, summaryTable, writeResults } from './results-file.ts';
import { FULL_STARTUP, QUICK_STARTUP, startupSection } from './startup.bench.ts';
import { FULL_SYNC, QUICK_SYNC, syncSection } from './sync.bench.ts';
import { ensureTools, type ToolName } from './tools.ts';

const TITLES: Readonly<Record<SectionName, string>> = {
  proxy: 'proxy throughput and latency, side by side on one upstream',
  plugins: 'key-auth + rate-limiting against no plugin',
  observability: 'access log and prometheus against none',
  router: 'router scale: 10,000 routes against 1',
  startup: 'start-up',
  memory: 'memory of every process of a node',
  sync: 'config sync, control plane → data planes',
  'control-plane': 'control plane: Admin API writes on PostgreSQL with data planes connected',
};

const LOAD_SECTIONS: readonly SectionName[] = ['proxy', 'plugins', 'observability', 'router'];

/** Runs `make` once, on first use: what several sections share. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

/** Set on Ctrl-C, SIGTERM or a crash: no further section starts. */
let stopping = false;

/** On Ctrl-C, SIGTERM or a crash: stop everything below this process, then exit (PostgreSQL's exit hook runs). */
function stopOnInterrupt(): void {
  const stop = (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nbench: ${why}: stopping every process the suite started`);
    stopDescendants().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => stop('interrupted', 130));
  process.once('SIGTERM', () => stop('terminated', 143));
  process.on('uncaughtException', (error) => {
    console.error(error);
    stop('crashed', 1);
  });
  process.on('unhandledRejection', (error) => {
    console.error(error);
    stop('crashed', 1);
  });
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  stopOnInterrupt();
  const quick = args.quick;
  const date = new Date();
  const started = performance.now();
  const loadSelected = args.sections.filter((s) => LOAD_SECTIONS.includes(s));
  const needed: ToolName[] = loadSelected.length > 0 ? ['nginx', 'wrk', 'hey'] : [];
  const tools = await ensureTools(needed);
  const machine = await describeMachine(tools);
  console.log(`Turnpike benchmark${quick ? ' (--quick)' : ''}: ${args.sections.join(', ')}`);
  for (const line of machineLines(machine)) console.log(line);

  await using shared = new AsyncDisposableStack();
  const certs = once(async () => shared.use(await genClusterCert()));
  const cluster = once<HybridCluster>(async () => shared.use(await startHybridCluster()));
  const loadKeys = [
    ...new Set(loadSelected.flatMap((s) => LOAD_SECTION_TARGETS[s as 'proxy'] as readonly TargetKey[])),
  ];
  const load = once<LoadResults>(() => {
    console.log(`  one interleaved load run for ${loadSelected.join(', ')}`);
    return runLoad(loadKeys, tools, quick ? QUICK_LOAD : FULL_LOAD, certs);
  });
  const sections: Record<SectionName, (report: Report) => Promise<void>> = {
    proxy: async (r) => proxySection(r, await load()),
    plugins: async (r) => {
      pluginsSection(r, await load(), quick);
      await countersRows(r, quick ? QUICK_COUNTERS : FULL_COUNTERS);
    },
    observability: async (r) => observabilitySection(r, await load()),
    router: async (r) => routerSection(r, await load(), quick),
    startup: async (r) => startupSection(r, quick ? QUICK_STARTUP : FULL_STARTUP, await certs()),
    memory: (r) => memorySection(r, quick ? QUICK_MEMORY : FULL_MEMORY),
    sync: async (r) => syncSection(r, await cluster(), quick ? QUICK_SYNC : FULL_SYNC),
    'control-plane': async (r) =>
      controlPlaneSection(r, await cluster(), quick ? QUICK_CONTROL_PLANE : FULL_CONTROL_PLANE),
  };

  const outcomes: SectionOutcome[] = [];
  for (const name of args.sections) {
    if (stopping) break;
    const report = new Report(TITLES[name]);
    console.log(`\n== ${name}: ${TITLES[name]}`);
    const t0 = performance.now();
    const cpu0 = sampleCpu();
    let failure: string | undefined;
    try {
      await sections[name](report);
    } catch (error) {
      failure = (error as Error).message.split('\n')[0] ?? String(error);
      console.error(error);
    }
    const seconds = (performance.now() - t0) / 1000;
    const othersCpu = othersShare(cpu0, sampleCpu());
    outcomes.push({ name, report, seconds, othersCpu, failure });
    console.log(`\n${name} (${seconds.toFixed(0)} s)${failure === undefined ? '' : ` FAILED: ${failure}`}`);
    console.log(report.table());
    for (const extra of report.extras) console.log(`\n${extra}`);
  }
  await shared.disposeAsync();
  // Interrupted: the handler stops what is left and exits; a partial run writes no results file.
  if (stopping) return 130;

  const leftovers = descendants().length === 0 ? [] : await stopDescendants();
  const totalSeconds = (performance.now() - started) / 1000;
  const out = args.out ?? join(import.meta.dirname, 'results', resultsFileName(args, date));
  await writeResults(out, {
    args,
    command: ['pnpm bench', ...process.argv.slice(2).map((a) => (/\s/.test(a) ? `'${a}'` : a))].join(' '),
    date,
    machine,
    sections: outcomes,
    totalSeconds,
    leftovers,
    note: args.note,
  });
  console.log(`\n== summary (${(totalSeconds / 60).toFixed(1)} min)\n${summaryTable(outcomes)}`);
  console.log(
    leftovers.length === 0
      ? 'every process the suite started is stopped'
      : `still running after the run (now stopped): ${leftovers.join('; ')}`,
  );
  console.log(`results: ${out}`);
  return outcomes.some((o) => o.failure !== undefined) ? 1 : 0;
}

process.exitCode = await main();
