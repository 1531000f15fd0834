/**
 * Turnpike's optional native addon, loaded once, on first use. Everything it offers has a
 * fallback in JavaScript, so a process without it (no compiler at install time, another
 * platform, an addon this Node.js cannot load) runs the same, a little heavier: callers check
 * for `undefined`. `nativeAddonProblem()` says why it is missing (the tests assert it is not).
 */
import { createRequire } from 'node:module';

export interface NativeAddon {
  /** glibc's malloc_trim(0): true when pages were released; undefined without glibc (musl). */
  mallocTrim(): boolean | undefined;
  /**
   * Kernel-side TCP forwarding (splice.c, Linux only: absent elsewhere). `spliceSetup` once per
   * process, with the function told of every ended connection: its id, reason (0 both ends closed
   * cleanly, 1 idle timeout, 2 error with `errno`, 3 aborted), and the bytes moved client →
   * upstream and upstream → client.
   */
  spliceSetup?(
    onDone: (
      id: number,
      reason: number,
      errno: number,
      clientToUpstream: number,
      upstreamToClient: number,
    ) => void,
  ): void;
  /** Forwards between two connected TCP sockets' fds (dup'ed) until both ends close; its id. */
  spliceAdd?(clientFd: number, upstreamFd: number, idleMs: number): number;
  /** Ends a spliced connection now (reported with reason 3). */
  spliceAbort?(id: number): void;
  /** Connections the splice loop holds now. */
  spliceActive?(): number;
}

const ADDON_PATH = new URL('../build/Release/turnpike_native.node', import.meta.url).pathname;

let loaded: NativeAddon | undefined;
let problem: string | undefined;
let tried = false;

function load(): void {
  tried = true;
  if (process.env.TURNPIKE_NATIVE === 'off') {
    problem = 'switched off by TURNPIKE_NATIVE=off';
    return;
  }
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problem =
      code === 'MODULE_NOT_FOUND'
        ? `not built (${ADDON_PATH} is missing; \`pnpm --filter @turnpike/native build\` builds it)`
        : `${ADDON_PATH} does not load: ${(error as Error).message}`;
  }
}

/** The addon, or undefined when it is not there. */
export function nativeAddon(): NativeAddon | undefined {
  if (!tried) load();
  return loaded;
}

/** Why the addon is not there, or undefined when it is. */
export function nativeAddonProblem(): string | undefined {
  if (!tried) load();
  return problem;
}
