/**
 * Self and inclusive time per function of a `--cpu-prof` profile (.cpuprofile), the heaviest first.
 *
 *   node test/bench/cpuprofile-summary.ts FILE.cpuprofile [rows=40] [self|total] [skip-ms=0]
 *
 * Shares are of the busy time (idle samples left out); `skip-ms` leaves out the profile's first
 * milliseconds (start-up: module loading, the first config), or with `skip-ms=FUNCTION` every
 * sample before the first in FUNCTION (e.g. `onServerStream`: the first proxied call).
 * A function is its name, file and line; inclusive time counts a function once per sample even
 * when it recurses. Paths are shown from `node_modules/` or the repository's folders on.
 */

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArg, sortArg, skipArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: cpuprofile-summary.ts FILE.cpuprofile [rows] [self|total]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const rows = Number(rowsArg ?? 40);
const by = sortArg === 'total' ? 'total' : 'self';

const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}
/** Microseconds into the profile of the first sample with `name` on its stack. */
function firstSampleIn(name: string): number {
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id))
      if (byId.get(id)?.callFrame.functionName === name) return at;
  }
  return 0;
}

const short = (url: string): string => {
  const m = /(node_modules\/.*|(?:data-plane|shared|control-plane|bin)\/.*)$/.exec(url);
  return m ? m[1]! : url.replace(/^file:\/\//, '');
};
const keyOf = (n: ProfileNode): string => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${short(f.url)}:${f.lineNumber + 1}`;
};

let skipUs = Number(skipArg ?? 0) * 1000;
if (skipArg !== undefined && !Number.isFinite(skipUs)) skipUs = firstSampleIn(skipArg);

const self = new Map<string, number>();
const total = new Map<string, number>();
let all = 0;
let at = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  at += dt;
  let node = byId.get(profile.samples[i]!);
  if (at < skipUs || node === undefined || node.callFrame.functionName === '(idle)') continue;
  all += dt;
  const k = keyOf(node);
  self.set(k, (self.get(k) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    node = byId.get(id)!;
    const key = keyOf(node);
    if (seen.has(key)) continue;
    seen.add(key);
    total.set(key, (total.get(key) ?? 0) + dt);
  }
}
const pct = (v: number) => `${((100 * v) / all).toFixed(1).padStart(5)}%`;
const order = [...(by === 'self' ? self : total).entries()].sort((a, b) => b[1] - a[1]).slice(0, rows);
console.log(`${(all / 1000).toFixed(0)} ms busy sampled; sorted by ${by}`);
console.log('  self  total  function');
for (const [k] of order) console.log(`${pct(self.get(k) ?? 0)} ${pct(total.get(k) ?? 0)}  ${k}`);
