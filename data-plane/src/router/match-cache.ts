/**
 * The match cache of one Router: request key → Match (or NO_MATCH), bounded, approximately LRU,
 * and O(1) to create, so a one-route delta does not pay for a cache of `max` slots (lru-cache
 * allocates them up front: ~0.7 ms for 5,000, the largest part of a delta's apply).
 *
 * Two generations of `max / 2` keys each: a hit in the older one moves the key to the current
 * one; when the current one is full it becomes the older one and the oldest is dropped whole.
 *
 * A patched Router inherits the previous version's generations (`inherit`): their entries are
 * offered to `match` as candidates, which keeps one only after checking it against what the
 * patch changed (match.ts), then moves it here. The previous cache is read, never written: the
 * previous Router stays as it was. Inherited generations are dropped at the first rotation, so a
 * cache refers to its direct predecessor's entries at most, never to older versions.
 */

import type { Match } from './types.ts';

/** Marks a cached miss (a Map cannot tell a stored undefined from an absent key cheaply). */
export const NO_MATCH: unique symbol = Symbol('no route matched');

export type CachedMatch = Match | typeof NO_MATCH;

export class MatchCache {
  readonly max: number;
  readonly #half: number;
  #current = new Map<string, CachedMatch>();
  #older = new Map<string, CachedMatch>();
  #inherited: readonly ReadonlyMap<string, CachedMatch>[];

  constructor(max: number, inherited: readonly ReadonlyMap<string, CachedMatch>[] = []) {
    this.max = max;
    this.#half = Math.max(1, Math.floor(max / 2));
    this.#inherited = inherited;
  }

  /** A cache for the next version that offers this one's entries as candidates. */
  inherit(): MatchCache {
    return new MatchCache(this.max, [this.#current, this.#older]);
  }

  /** Entries held for this version (inherited candidates not counted). */
  get size(): number {
    return this.#current.size + this.#older.size;
  }

  get(key: string): CachedMatch | undefined {
    const hit = this.#current.get(key);
    if (hit !== undefined) return hit;
    const older = this.#older.get(key);
    if (older !== undefined) this.set(key, older);
    return older;
  }

  /** An entry of the previous version for `key`, to be checked before use; undefined if none. */
  candidate(key: string): CachedMatch | undefined {
    for (const generation of this.#inherited) {
      const value = generation.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  set(key: string, value: CachedMatch): void {
    if (this.#current.size >= this.#half && !this.#current.has(key)) {
      this.#older = this.#current;
      this.#current = new Map();
      this.#inherited = [];
    }
    this.#current.set(key, value);
  }
}
