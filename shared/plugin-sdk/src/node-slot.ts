/**
 * A value the engine installs for every copy of the SDK in the process (a custom plugin may bring
 * its own copy): kept on `globalThis` under a registered symbol, so all copies read the same one.
 */
export interface NodeSlot<T> {
  get(): T | undefined;
  set(value: T | undefined): void;
}

export function nodeSlot<T>(name: string): NodeSlot<T> {
  const key = Symbol.for(`turnpike.plugin-sdk.${name}`);
  const holder = globalThis as unknown as Record<symbol, T | undefined>;
  return {
    get: () => holder[key],
    set: (value) => {
      holder[key] = value;
    },
  };
}
