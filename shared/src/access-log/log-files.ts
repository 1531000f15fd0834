/**
 * A node process's log files, opened once per destination (admin_error_log and proxy_error_log
 * both default to logs/error.log: one writer), reopened together on SIGUSR1 and reload, closed at
 * stop. `onReopen` lets a part pass the reopen on (the data plane tells its proxy workers).
 */

import type { Logger } from '../log.ts';
import type { Stoppable } from '../process/lifecycle.ts';
import { LogWriter, type LogWriterOptions, logTarget } from './writer.ts';

export class LogFiles implements Stoppable {
  readonly name = 'log files';
  readonly #prefix: string;
  readonly #writers = new Map<string, LogWriter>();
  readonly #hooks: (() => void)[] = [];
  readonly #options: LogWriterOptions = {};

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** Where the writers report their own failures (set once the process's logger exists). */
  reportTo(log: Logger): void {
    this.#options.log = log;
  }

  /** The writer of a `*_log` value; undefined for `off`. One writer per destination. */
  open(value: string): LogWriter | undefined {
    const target = logTarget(value, this.#prefix);
    if (target.kind === 'off') return undefined;
    const key = target.kind === 'file' ? target.path : target.name;
    let writer = this.#writers.get(key);
    if (writer === undefined) {
      writer = new LogWriter(target, this.#options);
      this.#writers.set(key, writer);
    }
    return writer;
  }

  onReopen(hook: () => void): void {
    this.#hooks.push(hook);
  }

  reopen(): void {
    for (const writer of this.#writers.values()) writer.reopen();
    for (const hook of this.#hooks) hook();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#writers.values()].map((writer) => writer.close()));
  }
}
