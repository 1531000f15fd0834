/**
 * Every compiled route of a Router in rank order, kept for patches (patch.ts): an immutable list
 * of chunks of about CHUNK routes, so that a patch copies the chunk directory and the chunks it
 * edits (O(√n)-ish: 200 pointers and one chunk at 50,000 routes), not the whole order. The
 * previous version's list stays intact. Entries are found by binary search with `compareEntries`,
 * the order the list is sorted by.
 */

import type { CompiledRoute } from './compile.ts';
import { compareEntries } from './prepare.ts';

/** What compareEntries orders by: a compiled route, or one about to be. */
type Sortable = Parameters<typeof compareEntries>[1];

const CHUNK = 256;

export class RankedOrder implements Iterable<CompiledRoute> {
  readonly #chunks: readonly (readonly CompiledRoute[])[];
  readonly length: number;

  private constructor(chunks: readonly (readonly CompiledRoute[])[], length: number) {
    this.#chunks = chunks;
    this.length = length;
  }

  /** From routes already sorted by compareEntries. */
  static of(sorted: readonly CompiledRoute[]): RankedOrder {
    const chunks: CompiledRoute[][] = [];
    for (let i = 0; i < sorted.length; i += CHUNK) chunks.push(sorted.slice(i, i + CHUNK));
    return new RankedOrder(chunks, sorted.length);
  }

  *[Symbol.iterator](): Iterator<CompiledRoute> {
    for (const chunk of this.#chunks) yield* chunk;
  }

  /** A copy-on-write draft of this list. */
  edit(): OrderDraft {
    return new OrderDraft(this.#chunks, this.length, (chunks, length) => new RankedOrder(chunks, length));
  }
}

/** Where an entry goes: chunk and index in it, with its neighbours in the order. */
export interface Place {
  readonly chunk: number;
  readonly index: number;
  readonly before: CompiledRoute | undefined;
  readonly after: CompiledRoute | undefined;
}

export class OrderDraft {
  readonly #chunks: (readonly CompiledRoute[])[];
  readonly #owned = new Set<readonly CompiledRoute[]>();
  readonly #seal: (chunks: readonly (readonly CompiledRoute[])[], length: number) => RankedOrder;
  #length: number;

  constructor(
    chunks: readonly (readonly CompiledRoute[])[],
    length: number,
    seal: (chunks: readonly (readonly CompiledRoute[])[], length: number) => RankedOrder,
  ) {
    this.#chunks = [...chunks];
    this.#length = length;
    this.#seal = seal;
  }

  /** Removes `entry` if it is there. */
  remove(entry: CompiledRoute): void {
    // The first chunk whose last entry does not sort before `entry`, then a lower bound in it.
    const c = this.#chunkFor((last) => compareEntries(last, entry) < 0);
    const chunk = this.#chunks[c];
    if (chunk !== undefined) {
      const at = bound(chunk, (e) => compareEntries(e, entry) < 0);
      if (chunk[at] === entry) {
        this.#splice(c, at, 1);
        return;
      }
    }
    // Not where its order puts it (cannot happen while the order is sorted): look everywhere.
    for (let i = 0; i < this.#chunks.length; i++) {
      const at = this.#chunks[i]!.indexOf(entry);
      if (at !== -1) {
        this.#splice(i, at, 1);
        return;
      }
    }
  }

  /** Where `entry` goes: after every entry that sorts before or with it. */
  place(entry: Sortable): Place {
    const chunks = this.#chunks;
    if (chunks.length === 0) return { chunk: 0, index: 0, before: undefined, after: undefined };
    let c = this.#chunkFor((last) => compareEntries(last, entry) <= 0);
    if (c === chunks.length) c = chunks.length - 1;
    const chunk = chunks[c]!;
    const index = bound(chunk, (e) => compareEntries(e, entry) <= 0);
    return { chunk: c, index, before: this.#before(c, index), after: this.#after(c, index) };
  }

  insert(place: Place, compiled: CompiledRoute): void {
    if (this.#chunks.length === 0) this.#chunks.push([]);
    this.#splice(place.chunk, place.index, 0, compiled);
  }

  seal(): RankedOrder {
    const chunks: (readonly CompiledRoute[])[] = [];
    for (const chunk of this.#chunks) {
      if (chunk.length === 0) continue;
      if (chunk.length <= 2 * CHUNK) chunks.push(chunk);
      else for (let i = 0; i < chunk.length; i += CHUNK) chunks.push(chunk.slice(i, i + CHUNK));
    }
    return this.#seal(chunks, this.#length);
  }

  /** The first non-empty chunk whose last entry is not `before` the sought one (chunks.length if none). */
  #chunkFor(before: (last: CompiledRoute) => boolean): number {
    return bound(this.#chunks, (chunk) => chunk.length === 0 || before(chunk[chunk.length - 1]!));
  }

  /** The entry just before position `index` of chunk `c` (earlier chunks may have been emptied). */
  #before(c: number, index: number): CompiledRoute | undefined {
    if (index > 0) return this.#chunks[c]![index - 1];
    for (let i = c - 1; i >= 0; i--) {
      const chunk = this.#chunks[i]!;
      if (chunk.length > 0) return chunk[chunk.length - 1];
    }
    return undefined;
  }

  /** The entry at position `index` of chunk `c`, or the first one after it. */
  #after(c: number, index: number): CompiledRoute | undefined {
    const chunk = this.#chunks[c]!;
    if (index < chunk.length) return chunk[index];
    for (let i = c + 1; i < this.#chunks.length; i++) {
      const next = this.#chunks[i]!;
      if (next.length > 0) return next[0];
    }
    return undefined;
  }

  #splice(c: number, at: number, remove: number, ...add: CompiledRoute[]): void {
    let chunk = this.#chunks[c]!;
    if (!this.#owned.has(chunk)) {
      chunk = [...chunk];
      this.#owned.add(chunk);
      this.#chunks[c] = chunk;
    }
    (chunk as CompiledRoute[]).splice(at, remove, ...add);
    this.#length += add.length - remove;
  }
}

/** The first index whose item is not `before` (items are: true… then false…). */
function bound<T>(items: readonly T[], before: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (before(items[mid]!)) low = mid + 1;
    else high = mid;
  }
  return low;
}
