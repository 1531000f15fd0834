/** The benchmark's command line: `pnpm bench [--quick] [section…] [--out file]`. */

export const SECTIONS = [
  'proxy',
  'plugins',
  'observability',
  'router',
  'startup',
  'memory',
  'sync',
  'control-plane',
] as const;
export type SectionName = (typeof SECTIONS)[number];

/** Other spellings a user may type. */
const ALIASES: Readonly<Record<string, SectionName>> = {
  'start-up': 'startup',
  cp: 'control-plane',
  controlplane: 'control-plane',
  admin: 'control-plane',
};

export interface BenchArgs {
  readonly quick: boolean;
  /** In the suite's order, whatever order they were given in. */
  readonly sections: readonly SectionName[];
  /** Where the results file goes; undefined: test/bench/results/<date>[-quick][-sections].md. */
  readonly out: string | undefined;
  /** A sentence for the results file (e.g. that the machine was busy). */
  readonly note: string | undefined;
  readonly help: boolean;
}

export const USAGE = `usage: pnpm bench [--quick] [section ...] [--out FILE] [--note TEXT]
  (or: npm run bench -- [--quick] [section ...])
sections, all when none is named: ${SECTIONS.join(', ')}
  --quick   fewer and shorter repetitions, no 50k-route figures (under 3 minutes)
  --out     the results file (default test/bench/results/<date>.md)
  --note    a sentence for the results file (e.g. "the machine was shared")`;

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let help = false;
  let out: string | undefined;
  let note: string | undefined;
  const value = (option: string, i: number): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('-')) throw new BenchUsageError(`${option} needs a value`);
    return v;
  };
  const named = new Set<SectionName>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (arg === '--quick' || arg === '-q') quick = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--out') out = value(arg, ++i);
    else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else if (arg === '--note') note = value(arg, ++i);
    else if (arg.startsWith('--note=')) note = arg.slice('--note='.length);
    else if (arg.startsWith('-')) throw new BenchUsageError(`unknown option ${arg}\n${USAGE}`);
    else {
      const name = (SECTIONS as readonly string[]).includes(arg) ? (arg as SectionName) : ALIASES[arg];
      if (name === undefined)
        throw new BenchUsageError(`unknown section ${arg}: one of ${SECTIONS.join(', ')}`);
      named.add(name);
    }
  }
  const sections = named.size === 0 ? [...SECTIONS] : SECTIONS.filter((s) => named.has(s));
  return { quick, sections, out, note, help };
}

/** `2026-12-02.md` for a full run of every section; `-quick` and the section names otherwise. */
export function resultsFileName(args: BenchArgs, date: Date): string {
  const day = date.toISOString().slice(0, 10);
  const all = args.sections.length === SECTIONS.length;
  return `${day}${args.quick ? '-quick' : ''}${all ? '' : `-${args.sections.join('-')}`}.md`;
}
