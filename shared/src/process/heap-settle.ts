/**
 * Gives back what start-up allocated once a process has settled.
 *
 * Start-up (module loading, parsing a declarative file or a snapshot, compiling the router)
 * allocates fast and keeps much of it alive for a while, so V8 grows the young generation to its
 * cap (64 MB of semi-spaces on Node 24) and keeps it: nothing shrinks it at idle, because an idle
 * process does not collect. On a DB-less node with 1,000 routes that is ~70 MB of its ~225 MB RSS
 * (test/bench/results/2026-12-03-heap-settle.md). V8 shrinks it, and returns the old
 * generation's free pages, only in a collection made to reduce memory, the one it makes under
 * memory pressure; Node has no API for that, but V8's `gc` extension runs one
 * (`flavor: 'last-resort'`).
 *
 * So, once the process is up, and after each whole configuration it applies (a DB-less
 * `POST /config`, a snapshot): wait until its event loop has been idle for a while, and run that
 * collection once (a pause of ~50–150 ms, when nothing is waiting). Deltas do not ask for it. A busy process is left alone:
 * under load the young generation is what keeps collection cheap, and it is sized for the load.
 * The extension is switched on only to take the function (from a fresh context) and off again, so
 * no other context ever sees a `gc` global.
 *
 * Then the C heap: what start-up freed there (module loading, parsing, V8's compile and GC worker
 * threads, each with its own malloc arena) stays mapped, since glibc returns only the top of an
 * arena by itself. When the process has a trimmer (`setNativeHeapTrimmer`: glibc's
 * `malloc_trim`, from the native addon @turnpike/native), it runs right after the collection:
 * ~11 MB of a DB-less node's ~125 MB RSS at 1,000 routes (test/bench/results/2026-12-04-malloc-trim.md).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { nativeAddon } from '@turnpike/native';
import type { Logger } from '../log.ts';

export interface HeapSettleOptions {
  readonly log?: Logger;
  /** How long the event loop must have been (nearly) idle. Default 500 ms. */
  readonly quietMs?: number;
  /** Event-loop utilisation over `quietMs` below which the process counts as idle. Default 0.1. */
  readonly idleBelow?: number;
  /** Give up after this many busy windows (the process is serving: no start-up to give back). */
  readonly attempts?: number;
  /** Called once the wait is over: settled, given up, or cancelled. */
  readonly done?: () => void;
}

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let gcFunction: GcFunction | undefined;

/** Hands the C heap's free pages back to the system: the native addon's, unless set. */
let nativeTrimmer: (() => unknown) | undefined;
let trimmerChosen = false;

/**
 * Sets what gives the C heap's free pages back after a settle, or none (`undefined`), in place
 * of the native addon's `mallocTrim` (the default, where the addon is built).
 */
export function setNativeHeapTrimmer(trim: (() => unknown) | undefined): void {
  trimmerChosen = true;
  nativeTrimmer = trim;
}

function trimmer(): (() => unknown) | undefined {
  if (!trimmerChosen) {
    trimmerChosen = true;
    const addon = nativeAddon();
    if (addon !== undefined) nativeTrimmer = () => addon.mallocTrim();
  }
  return nativeTrimmer;
}

/** V8's gc function, taken from a context made while `--expose-gc` was on for that moment only. */
function takeGc(): GcFunction | undefined {
  if (gcFunction !== undefined) return gcFunction;
  const exposed = typeof (globalThis as { gc?: unknown }).gc === 'function';
  try {
    if (!exposed) v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') gcFunction = gc as GcFunction;
  } catch {
    // No extension in this build of V8: nothing to give back.
  } finally {
    if (!exposed) v8.setFlagsFromString('--no-expose-gc');
  }
  return gcFunction;
}

/** What one settle gave back, for the log line and the tests. */
export interface HeapSettled {
  readonly pauseMs: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** Whether the C heap was trimmed: true (pages released), false (none), undefined (no trimmer). */
  readonly trimmed: boolean | undefined;
}

/** Runs the memory-reducing collection now; undefined when V8 offers none. */
export function settleHeapNow(): HeapSettled | undefined {
  const gc = takeGc();
  if (gc === undefined) return undefined;
  const before = process.memoryUsage();
  const started = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  const trim = trimmer();
  const trimmed = trim === undefined ? undefined : trim() === true;
  const pauseMs = performance.now() - started;
  const after = process.memoryUsage();
  return {
    pauseMs,
    heapBefore: before.heapTotal,
    heapAfter: after.heapTotal,
    rssBefore: before.rss,
    rssAfter: after.rss,
    trimmed,
  };
}

/**
 * Settles the heap once the event loop has been idle for `quietMs`, checking up to `attempts`
 * windows. Returns a function that cancels it (a stop before it ran). The timer never keeps the
 * process alive.
 */
export function settleHeapWhenIdle(options: HeapSettleOptions = {}): () => void {
  const quietMs = options.quietMs ?? 500;
  const idleBelow = options.idleBelow ?? 0.1;
  let left = options.attempts ?? 20;
  let mark = performance.eventLoopUtilization();
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    timer = undefined;
    const window = performance.eventLoopUtilization(mark);
    mark = performance.eventLoopUtilization();
    if (window.utilization >= idleBelow) {
      if (--left > 0) {
        arm();
        return;
      }
      options.done?.();
      options.log?.debug({ attempts: options.attempts ?? 20 }, 'heap not settled: the process stayed busy');
      return;
    }
    options.done?.();
    const settled = settleHeapNow();
    if (settled === undefined) return;
    const MB = 1024 * 1024;
    options.log?.debug(
      {
        pause_ms: Math.round(settled.pauseMs),
        heap_mb: [Math.round(settled.heapBefore / MB), Math.round(settled.heapAfter / MB)],
        rss_mb: [Math.round(settled.rssBefore / MB), Math.round(settled.rssAfter / MB)],
        c_heap_trimmed: settled.trimmed,
      },
      'start-up memory given back',
    );
  };
  const arm = (): void => {
    timer = setTimeout(check, quietMs);
    timer.unref();
  };
  arm();
  return () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    options.done?.();
  };
}

/** The settle a process has pending (one heap, one settle at a time). */
let pending: (() => void) | undefined;

/**
 * Asks for a settle once this process is idle; a request while one is pending joins it. Safe to
 * call from every part of a process (the node, its in-process proxy worker, each apply).
 */
export function requestHeapSettle(options: HeapSettleOptions = {}): void {
  if (pending !== undefined) return;
  const cancel = settleHeapWhenIdle({
    ...options,
    done: () => {
      pending = undefined;
    },
  });
  pending = cancel;
}

/** Cancels the pending settle, if any (a stopping process has no start-up to give back). */
export function cancelHeapSettle(): void {
  pending?.();
  pending = undefined;
}
