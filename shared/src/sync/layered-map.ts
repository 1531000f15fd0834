/**
 * An immutable map that a small change copies in O(change): a large shared `base` and a small
 * `top` layer of the keys changed since (a removed key is marked ABSENT there). `with` returns a
 * new map and leaves this one intact, so a Runtime still serving requests keeps its view. When
 * the top layer outgrows about 4·√(base size) keys it is folded into a new base: an O(n) copy
 * once per that many changes.
 *
 * Hot path: `get` is two Map lookups at most (one when the key was changed recently).
 */

const ABSENT: unique symbol = Symbol('absent');

const MIN_FOLD = 64;

export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  readonly #base: ReadonlyMap<K, V>;
  readonly #top: ReadonlyMap<K, V | typeof ABSENT>;
  readonly size: number;

  private constructor(base: ReadonlyMap<K, V>, top: ReadonlyMap<K, V | typeof ABSENT>, size: number) {
    this.#base = base;
    this.#top = top;
    this.size = size;
  }

  /** Takes ownership of `map`: it must not be changed afterwards. */
  static of<K, V>(map: ReadonlyMap<K, V> = new Map()): LayeredMap<K, V> {
    return new LayeredMap(map, new Map(), map.size);
  }

  get(key: K): V | undefined {
    const top = this.#top.get(key);
    if (top === undefined) return this.#base.get(key);
    return top === ABSENT ? undefined : top;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  /** A new map with each key set to its value, or removed when the value is undefined. */
  with(changes: Iterable<readonly [K, V | undefined]>): LayeredMap<K, V> {
    const top = new Map<K, V | typeof ABSENT>(this.#top);
    let size = this.size;
    for (const [key, value] of changes) {
      const had = this.#has(top, key);
      if (value === undefined) {
        if (!had) continue;
        size--;
        if (this.#base.has(key)) top.set(key, ABSENT);
        else top.delete(key);
      } else {
        if (!had) size++;
        top.set(key, value);
      }
    }
    if (top.size > Math.max(MIN_FOLD, 4 * Math.sqrt(this.#base.size))) {
      return LayeredMap.of(new Map(new LayeredMap(this.#base, top, size).entries()));
    }
    return new LayeredMap(this.#base, top, size);
  }

  *entries(): MapIterator<[K, V]> {
    for (const [key, value] of this.#top) if (value !== ABSENT) yield [key, value];
    for (const entry of this.#base) if (!this.#top.has(entry[0])) yield entry;
  }

  *keys(): MapIterator<K> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  #has(top: ReadonlyMap<K, V | typeof ABSENT>, key: K): boolean {
    const value = top.get(key);
    if (value === undefined) return this.#base.has(key);
    return value !== ABSENT;
  }
}
