/** Waits on conditions that are re-checked whenever `check()` is called (after each event, say). */
export class Conditions {
  readonly #waiters = new Set<() => void>();

  /** Re-checks every pending condition. */
  check(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /** Resolves once `predicate` holds: now, or at a later `check()`. */
  until(predicate: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      if (predicate()) return resolve();
      const wake = () => {
        if (!predicate()) return;
        this.#waiters.delete(wake);
        resolve();
      };
      this.#waiters.add(wake);
    });
  }
}
