/**
 * Where an access or error log goes (Kong's `*_access_log` / `*_error_log` values): a path (relative
 * to the prefix), `/dev/stdout`, `/dev/stderr`, or `off`. Lines are handed to sonic-boom, which
 * writes them asynchronously, batching what arrives while a write is under way: a request never
 * waits for the disk. The file is opened in append mode (every process of a node may write to the
 * same file, each write landing whole, as nginx's workers do) and reopened on `reopen()` (SIGUSR1,
 * `reload`), so logrotate can move it away. Past `maxBufferBytes` of unwritten lines, new lines are
 * dropped and counted rather than held: memory stays bounded when the disk stalls.
 *
 * Lines are written in batches (nginx's `access_log … buffer= flush=`, which Kong's default does not
 * set): once `BATCH` bytes wait, or every `FLUSH_MS`, whichever comes first. Under load that is
 * one write(2) per ~100 lines instead of one per event-loop turn (each is a round trip through
 * libuv's thread pool); an idle node's last line is at most FLUSH_MS late. A batch holds whole lines
 * and, for stdout / stderr (a pipe under Docker, shared by every worker), at most PIPE_BUF bytes,
 * so that lines of two processes never interleave.
 */

import { isAbsolute, resolve } from 'node:path';
import sonicBoom, { type SonicBoom } from 'sonic-boom';

/** sonic-boom is CommonJS: its class is the module's default export at run time. */
const SonicBoomClass = sonicBoom as unknown as typeof SonicBoom;

import type { Logger } from '../log.ts';

/** Bytes a write may carry and bytes that start one: a file, and a pipe (PIPE_BUF, atomic). */
const BATCH = {
  file: { maxWrite: 64 * 1024, minLength: 16 * 1024 },
  fd: { maxWrite: 4096, minLength: 2048 },
} as const;
/** The longest a written line waits in memory. */
export const FLUSH_MS = 100;

/** What a `*_log` key's value names. */
export type LogTarget =
  | { readonly kind: 'off' }
  | { readonly kind: 'fd'; readonly fd: 1 | 2; readonly name: string }
  | { readonly kind: 'file'; readonly path: string };

/** Reads a `*_log` key's value as Kong does; a relative path is under `prefix`. */
export function logTarget(value: string, prefix: string): LogTarget {
  const trimmed = value.trim();
  if (trimmed === 'off') return { kind: 'off' };
  if (trimmed === '/dev/stdout') return { kind: 'fd', fd: 1, name: trimmed };
  if (trimmed === '/dev/stderr') return { kind: 'fd', fd: 2, name: trimmed };
  return { kind: 'file', path: isAbsolute(trimmed) ? trimmed : resolve(prefix, trimmed) };
}

export interface LogWriterOptions {
  /** Unwritten bytes held at most; lines beyond are dropped (and counted). Default 16 MiB. */
  readonly maxBufferBytes?: number;
  /** Where the writer's own failures are reported (once per kind, never per line). */
  log?: Logger;
}

/** One open log destination. */
export class LogWriter {
  readonly target: LogTarget;
  readonly #sonic: SonicBoom;
  /** Read when a failure is reported, so a logger made after the writer can be given. */
  readonly #options: LogWriterOptions;
  #dropped = 0;
  #failed = false;
  #closed = false;
  /**
   * Bytes taken that sonic-boom has not written yet (its 'write' events say what each write took).
   * Its 'drain' means idle, not empty: below the batch size, bytes wait for the timer or `flush`.
   */
  #unwritten = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(target: Exclude<LogTarget, { kind: 'off' }>, options: LogWriterOptions = {}) {
    this.target = target;
    this.#options = options;
    this.#sonic = new SonicBoomClass({
      ...(target.kind === 'fd' ? { fd: target.fd } : { dest: target.path, append: true, mkdir: true }),
      sync: false,
      // Buffers, not strings: in its utf8 mode, sonic-boom measures each written batch again
      // (Buffer.byteLength, to cut what a short write took off it), which cost 2–5 times the
      // encoding done here once per line (~2.5 against ~0.7 µs of CPU per line, measured).
      contentMode: 'buffer',
      maxLength: options.maxBufferBytes ?? 16 * 1024 * 1024,
      ...BATCH[target.kind],
    });
    this.#timer = setInterval(() => {
      // Lines wait below the batch size: written now (a write under way takes them when done).
      if (this.#unwritten > 0) this.#sonic.flush();
    }, FLUSH_MS);
    this.#timer.unref();
    this.#sonic.on('drop', () => {
      this.#dropped++;
    });
    this.#sonic.on('write', (n: number) => {
      this.#unwritten -= n;
    });
    this.#sonic.on('error', (err: Error) => {
      if (this.#failed) return;
      this.#failed = true;
      this.#options.log?.error({ err, target: this.describe() }, 'log file write failed');
    });
  }

  /** Appends `line` (which ends with a newline). Never throws, never blocks. */
  write(line: string): void {
    // (sonic-boom's types declare strings only; in buffer mode it takes Buffers.)
    if (this.#closed) return;
    const dropped = this.#dropped;
    const bytes = Buffer.from(line);
    this.#sonic.write(bytes as unknown as string);
    // A line dropped on the spot ('drop' is emitted inside write) is not waiting.
    if (this.#dropped === dropped) this.#unwritten += bytes.length;
  }

  /** Lines dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Reopens a file (after logrotate moved it); stdout and stderr stay as they are. */
  reopen(): void {
    if (this.target.kind !== 'file' || this.#closed) return;
    this.#failed = false;
    try {
      this.#sonic.reopen();
    } catch (err) {
      this.#options.log?.error({ err, target: this.describe() }, 'log file reopen failed');
    }
  }

  /** Writes out what is buffered and closes (a file) or lets go (stdout / stderr). */
  async close(): Promise<void> {
    const sonic = this.#sonic;
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.target.kind === 'fd') {
      await this.flush();
      return;
    }
    await new Promise<void>((done) => {
      sonic.once('close', () => done());
      sonic.once('error', () => done());
      sonic.end();
    });
  }

  /** Resolves once what was written so far reached the file (tests, shutdown). */
  flush(): Promise<void> {
    if (this.#unwritten <= 0) return Promise.resolve();
    return new Promise((done) => {
      const settled = (): void => {
        this.#sonic.off('drain', drained);
        this.#sonic.off('error', settled);
        done();
      };
      // Idle: written out, or lines below the batch size wait (taken in while a write was under way).
      const drained = (): void => {
        if (this.#unwritten > 0) this.#sonic.flush();
        else settled();
      };
      this.#sonic.on('drain', drained);
      this.#sonic.once('error', settled);
      this.#sonic.flush();
    });
  }

  describe(): string {
    return this.target.kind === 'file'
      ? this.target.path
      : this.target.kind === 'fd'
        ? this.target.name
        : 'off';
  }
}

/** Opens a `*_log` key's destination; undefined for `off`. */
export function openLog(
  value: string,
  prefix: string,
  options: LogWriterOptions = {},
): LogWriter | undefined {
  const target = logTarget(value, prefix);
  return target.kind === 'off' ? undefined : new LogWriter(target, options);
}
