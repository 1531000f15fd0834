/**
 * Which configuration version every proxy worker runs, and a wait for one: a traditional node
 * answers a plugin's write (oauth2's token) once the version holding it is applied, so the
 * client's next request finds it (data-plane/src/workers/README.md, "Writes from the proxy").
 */
export class VersionWaiter {
  #version = 0;
  readonly #waiters = new Set<{ readonly version: number; readonly resolve: (reached: boolean) => void }>();

  /** Every worker runs `version` (versions only grow; a lower one is ignored). */
  reach(version: number): void {
    if (version <= this.#version) return;
    this.#version = version;
    for (const waiter of this.#waiters) {
      if (waiter.version > version) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(true);
    }
  }

  /** Resolves true once `version` is reached, false after `timeoutMs` without it. */
  reached(version: number, timeoutMs: number): Promise<boolean> {
    if (version <= this.#version) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        version,
        resolve: (reached: boolean) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      this.#waiters.add(waiter);
    });
  }
}
