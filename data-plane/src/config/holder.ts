import type { Runtime, RuntimeSource } from '../runtime/index.ts';

/**
 * The Runtime requests start with. `swap` is one assignment: a request reads `current` once and
 * keeps that Runtime to the end, so a swap never mixes two versions within one request. Only
 * this folder writes it (a Biome rule says so): readers get it as a `RuntimeSource`.
 */
export class RuntimeHolder implements RuntimeSource {
  #current: Runtime;

  constructor(initial: Runtime) {
    this.#current = initial;
  }

  get current(): Runtime {
    return this.#current;
  }

  /** Installs the next version; returns the one it replaced. */
  swap(next: Runtime): Runtime {
    const previous = this.#current;
    this.#current = next;
    return previous;
  }
}
