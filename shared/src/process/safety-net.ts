/**
 * The last-resort handlers of a Turnpike process (the main process and every proxy worker):
 * 'uncaughtException' and 'unhandledRejection'. Every request path has its own guards; this one
 * catches what escapes them (a plugin's timer that throws, a promise nobody awaited), logs it with
 * what was running, and decides whether the process goes on.
 *
 * The rule. A failure escaped while one piece of work ran; the event loop, the listeners and every
 * other request are untouched, so the process keeps serving — unless the failure says the process
 * itself is no longer sound, when it exits with code 70 after logging (a proxy worker is restarted
 * by the main process's pool; the main process by its supervisor). The process is not sound when:
 * - node reports a broken invariant of its own (ERR_INTERNAL_ASSERTION);
 * - it ran out of memory or file descriptors (ENOMEM, EMFILE, ENFILE): a fresh process starts with
 *   nothing leaked;
 * - the error says so (`fatal: true` on it);
 * - failures come in a storm (more than 20 within 10 s): something fails in a loop, and a restart
 *   (with the pool's back-off) beats logging forever.
 * A failure while a plugin ran (`context` names it) is never fatal, nor counted toward a storm: a
 * faulty plugin fails its own requests, and traffic through it must not be able to restart workers.
 */

import { toError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** The exit code after a fatal failure (EX_SOFTWARE). */
export const FATAL_EXIT_CODE = 70;

const RESOURCE_CODES = new Set(['ENOMEM', 'EMFILE', 'ENFILE']);

export interface SafetyNetOptions {
  readonly log: Logger;
  /** Fields naming what was running when a failure was caught (the plugin, say); undefined: nothing known. */
  readonly context?: () => Readonly<Record<string, unknown>> | undefined;
  /** More failures than this within `stormWindowMs` is fatal. Default 20. */
  readonly stormLimit?: number;
  /** Default 10 s. */
  readonly stormWindowMs?: number;
}

/** Why `thrown` leaves the process unsound, or undefined when it is the failing work's only. */
export function fatalReason(thrown: unknown): string | undefined {
  if (typeof thrown !== 'object' || thrown === null) return undefined;
  const { code, fatal } = thrown as { code?: unknown; fatal?: unknown };
  if (fatal === true) return 'the error is marked fatal';
  if (code === 'ERR_INTERNAL_ASSERTION') return 'node reported a broken invariant of its own';
  if (typeof code === 'string' && RESOURCE_CODES.has(code))
    return `the process ran out of resources (${code})`;
  return undefined;
}

type ContextFn = () => Readonly<Record<string, unknown>> | undefined;

/** Context added after the net was installed (a proxy worker running in the main process). */
const addedContexts: ContextFn[] = [];

/** Adds a source of context (`{ plugin }`) to the net, whoever installed it. */
export function addSafetyNetContext(context: ContextFn): void {
  if (!addedContexts.includes(context)) addedContexts.push(context);
}

function addedContext(): Readonly<Record<string, unknown>> | undefined {
  for (const context of addedContexts) {
    const fields = context();
    if (fields !== undefined) return fields;
  }
  return undefined;
}

/**
 * Installs the handlers once per process (a second call is ignored). Returns a function that
 * removes them, for the tests that install them in a child process.
 */
export function installSafetyNet(options: SafetyNetOptions): () => void {
  const log = options.log;
  const limit = options.stormLimit ?? 20;
  const window = options.stormWindowMs ?? 10_000;
  const recent: number[] = [];
  let exiting = false;

  const exit = (): void => {
    if (exiting) return;
    exiting = true;
    // Exit once the line is out, or after a second whatever happens to the log.
    setTimeout(() => process.exit(FATAL_EXIT_CODE), 1000).unref();
    log.flush(() => process.exit(FATAL_EXIT_CODE));
  };

  const caught = (kind: 'uncaught exception' | 'unhandled rejection', thrown: unknown): void => {
    const context = options.context?.() ?? addedContext();
    const fields = { ...context, err: toError(thrown), kind };
    // A plugin's failure is the plugin's: its requests fail, the process does not (nor does it count).
    if (context?.plugin !== undefined) {
      log.error(fields, `${kind}: the process keeps running`);
      return;
    }
    const now = Date.now();
    recent.push(now);
    while (recent.length > 0 && recent[0]! <= now - window) recent.shift();
    let reason = fatalReason(thrown);
    if (reason === undefined && recent.length > limit)
      reason = `more than ${limit} failures within ${window} ms`;
    if (reason === undefined) {
      log.error(fields, `${kind}: the process keeps running`);
      return;
    }
    log.fatal({ ...fields, reason }, `${kind}: the process exits`);
    exit();
  };

  const onException = (err: unknown): void => caught('uncaught exception', err);
  const onRejection = (reason: unknown): void => caught('unhandled rejection', reason);
  const flagged = process as NodeJS.Process & { [kInstalled]?: boolean };
  if (flagged[kInstalled] === true) return noop;
  flagged[kInstalled] = true;
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    flagged[kInstalled] = false;
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

const kInstalled = Symbol.for('turnpike.safety-net');

function noop(): void {}
