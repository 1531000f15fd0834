import type { Runtime } from './types.ts';

/**
 * The Runtime requests start with. `swap` is one assignment: a request reads `current` once and
 * keeps that Runtime to the end, so a swap never mixes two versions within one request.
 */
export class RuntimeHolder {
  current: Runtime;

  constructor(initial: Runtime) {
    this.current = initial;
  }

  /** Installs the next version; returns the one it replaced. */
  swap(next: Runtime): Runtime {
    const previous = this.current;
    this.current = next;
    return previous;
  }
}
