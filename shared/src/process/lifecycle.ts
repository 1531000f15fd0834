import type { Logger } from '../log.ts';

/**
 * How a component stops. `drain` (SIGQUIT, `turnpike quit`): stop accepting, let in-flight work
 * finish before the deadline. `now` (SIGTERM/SIGINT, `turnpike stop`): close at once.
 */
export type StopMode = 'drain' | 'now';

export interface Stoppable {
  readonly name: string;
  stop(mode: StopMode, deadline: number): Promise<void>;
}

/**
 * Components register in start order and stop in reverse (listeners before the datastore they
 * use). Stopping twice is harmless; a second `now` during a drain cuts the drain short.
 */
export class Lifecycle {
  readonly #components: Stoppable[] = [];
  readonly #log: Logger;
  #stopping: Promise<void> | undefined;
  #abort = new AbortController();
  #mode: StopMode | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  add(component: Stoppable): void {
    this.#components.push(component);
  }

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** Aborted when a stop begins: long-running loops (reconnects, timers) listen to it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  stop(mode: StopMode, timeoutMs: number): Promise<void> {
    if (this.#stopping !== undefined) {
      if (mode === 'now' && this.#mode === 'drain') {
        this.#mode = 'now';
        this.#log.warn('stop requested during drain: closing now');
        const now = Date.now();
        for (const c of this.#components) c.stop('now', now).catch(() => {});
      }
      return this.#stopping;
    }
    this.#mode = mode;
    this.#abort.abort();
    const deadline = Date.now() + (mode === 'drain' ? timeoutMs : Math.min(timeoutMs, 5000));
    this.#stopping = this.#stopAll(mode, deadline);
    return this.#stopping;
  }

  async #stopAll(mode: StopMode, deadline: number): Promise<void> {
    this.#log.info({ mode, components: this.#components.map((c) => c.name) }, 'stopping');
    for (const component of [...this.#components].reverse()) {
      const started = Date.now();
      try {
        await component.stop(mode, deadline);
        this.#log.debug({ component: component.name, ms: Date.now() - started }, 'stopped');
      } catch (err) {
        this.#log.error({ err, component: component.name }, 'component failed to stop cleanly');
      }
    }
  }
}
