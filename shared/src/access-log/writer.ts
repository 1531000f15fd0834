/**
 * Where an access or error log goes (Kong's `*_access_log` / `*_error_log` values): a path (relative
 * to the prefix), `/dev/stdout`, `/dev/stderr`, or `off`. Lines are handed to sonic-boom, which
 * writes them asynchronously, batching what arrives while a write is under way: a request never
 * waits for the disk. The file is opened in append mode (every process of a node may write to the
 * same file, each write landing whole, as nginx's workers do) and reopened on `reopen()` (SIGUSR1,
 * `reload`), so logrotate can move it away. Past `maxBufferBytes` of unwritten lines, new lines are
 * dropped and counted rather than held: memory stays bounded when the disk stalls.
 */

import { isAbsolute, resolve } from 'node:path';
import sonicBoom, { type SonicBoom } from 'sonic-boom';

/** sonic-boom is CommonJS: its class is the module's default export at run time. */
const SonicBoomClass = sonicBoom as unknown as typeof SonicBoom;

import type { Logger } from '../log.ts';

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
   * Lines were taken that sonic-boom has not finished writing: it emits 'drain' each time it goes
   * idle with nothing left (its own `flush` does not wait for a write under way).
   */
  #pending = false;

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
    });
    this.#sonic.on('drop', () => {
      this.#dropped++;
    });
    this.#sonic.on('drain', () => {
      this.#pending = false;
    });
    this.#sonic.on('error', (err: Error) => {
      this.#pending = false;
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
    this.#sonic.write(Buffer.from(line) as unknown as string);
    // A line dropped on the spot ('drop' is emitted inside write) starts no write.
    if (this.#dropped === dropped) this.#pending = true;
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
    if (!this.#pending) return Promise.resolve();
    return new Promise((done) => {
      const settled = (): void => {
        this.#sonic.off('drain', settled);
        this.#sonic.off('error', settled);
        done();
      };
      this.#sonic.once('drain', settled);
      this.#sonic.once('error', settled);
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
