/**
 * Builds a RouterIndex (compile.ts) from another one plus the routes added and removed, copying
 * only the buckets and prefix lists a change touches; the index it starts from stays intact.
 * The full compile starts from the empty index, so both paths build the same structure.
 */

import { LayeredMap } from '@turnpike/shared/sync';
import type { CompiledRoute, RouteBucket, RouterIndex } from './compile.ts';
import { HOST_EXACT } from './host.ts';
import { regexLiteralPrefix } from './prepare.ts';

const NO_ROUTES: readonly CompiledRoute[] = Object.freeze([]);

export const EMPTY_BUCKET: RouteBucket = Object.freeze({
  unindexed: NO_ROUTES,
  byPrefix: LayeredMap.of<string, readonly CompiledRoute[]>(),
  lengthCounts: new Map(),
  prefixLengths: [],
});

/** The prefix-index keys of a route: its plain paths, or its regexes' literal prefixes. */
function prefixKeys(route: CompiledRoute): string[] | undefined {
  if (route.paths === undefined) return undefined;
  const keys = route.paths.map((p) => (p.regex === undefined ? p.value : regexLiteralPrefix(p.value)));
  return keys.includes('') ? undefined : [...new Set(keys)];
}

/** Inserts by rank; a route added in rank order (the full compile) is a push. */
function insertByRank(list: CompiledRoute[], route: CompiledRoute): void {
  const last = list[list.length - 1];
  if (last === undefined || last.rank < route.rank) {
    list.push(route);
    return;
  }
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]!.rank < route.rank) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, route);
}

function removeFrom(list: CompiledRoute[], route: CompiledRoute): void {
  const at = list.indexOf(route);
  if (at !== -1) list.splice(at, 1);
}

/** One bucket being edited: copies of what was touched, the rest shared with `base`. */
class BucketDraft {
  readonly #base: RouteBucket;
  #unindexed: CompiledRoute[] | undefined;
  readonly #lists = new Map<string, CompiledRoute[]>();
  readonly #lengthCounts: Map<number, number>;

  constructor(base: RouteBucket) {
    this.#base = base;
    this.#lengthCounts = new Map(base.lengthCounts);
  }

  add(route: CompiledRoute): void {
    const keys = prefixKeys(route);
    if (keys === undefined) {
      insertByRank(this.#unindexedList(), route);
      return;
    }
    for (const key of keys) {
      const list = this.#list(key);
      if (list.length === 0) this.#count(key.length, 1);
      insertByRank(list, route);
    }
  }

  remove(route: CompiledRoute): void {
    const keys = prefixKeys(route);
    if (keys === undefined) {
      removeFrom(this.#unindexedList(), route);
      return;
    }
    for (const key of keys) {
      const list = this.#list(key);
      const before = list.length;
      removeFrom(list, route);
      if (before > 0 && list.length === 0) this.#count(key.length, -1);
    }
  }

  seal(): RouteBucket {
    const changes: [string, readonly CompiledRoute[] | undefined][] = [];
    for (const [key, list] of this.#lists) changes.push([key, list.length === 0 ? undefined : list]);
    const base = this.#base.byPrefix;
    const byPrefix =
      base.size === 0
        ? LayeredMap.of(new Map(changes.filter((c): c is [string, CompiledRoute[]] => c[1] !== undefined)))
        : base.with(changes);
    return {
      unindexed: this.#unindexed ?? this.#base.unindexed,
      byPrefix,
      lengthCounts: this.#lengthCounts,
      prefixLengths: [...this.#lengthCounts.keys()].sort((a, b) => a - b),
    };
  }

  #unindexedList(): CompiledRoute[] {
    this.#unindexed ??= [...this.#base.unindexed];
    return this.#unindexed;
  }

  #list(key: string): CompiledRoute[] {
    let list = this.#lists.get(key);
    if (list === undefined) {
      list = [...(this.#base.byPrefix.get(key) ?? NO_ROUTES)];
      this.#lists.set(key, list);
    }
    return list;
  }

  #count(length: number, delta: number): void {
    const count = (this.#lengthCounts.get(length) ?? 0) + delta;
    if (count === 0) this.#lengthCounts.delete(length);
    else this.#lengthCounts.set(length, count);
  }
}

function isEmpty(bucket: RouteBucket): boolean {
  return bucket.unindexed.length === 0 && bucket.byPrefix.size === 0;
}

/** The whole index being edited: the host buckets, the wildcard and any-host buckets, header names. */
export class IndexDraft {
  readonly #base: RouterIndex;
  readonly #hosts = new Map<string, BucketDraft>();
  #wildcard: BucketDraft | undefined;
  #any: BucketDraft | undefined;
  readonly #headerCounts: Map<string, number>;

  constructor(base: RouterIndex) {
    this.#base = base;
    this.#headerCounts = new Map(base.headerCounts);
  }

  add(route: CompiledRoute): void {
    this.#place(route, true);
  }

  remove(route: CompiledRoute): void {
    this.#place(route, false);
  }

  seal(): RouterIndex {
    const changes: [string, RouteBucket | undefined][] = [];
    for (const [host, draft] of this.#hosts) {
      const bucket = draft.seal();
      changes.push([host, isEmpty(bucket) ? undefined : bucket]);
    }
    const base = this.#base.byHost;
    const byHost =
      base.size === 0
        ? LayeredMap.of(new Map(changes.filter((c): c is [string, RouteBucket] => c[1] !== undefined)))
        : base.with(changes);
    return {
      byHost,
      wildcardHosts: this.#wildcard?.seal() ?? this.#base.wildcardHosts,
      anyHost: this.#any?.seal() ?? this.#base.anyHost,
      headerCounts: this.#headerCounts,
      headerNames: [...this.#headerCounts.keys()].sort(),
    };
  }

  #place(route: CompiledRoute, add: boolean): void {
    for (const header of route.headers ?? []) {
      const count = (this.#headerCounts.get(header.name) ?? 0) + (add ? 1 : -1);
      if (count === 0) this.#headerCounts.delete(header.name);
      else this.#headerCounts.set(header.name, count);
    }
    const edit = (draft: BucketDraft) => (add ? draft.add(route) : draft.remove(route));
    if (route.hosts === undefined) {
      this.#any ??= new BucketDraft(this.#base.anyHost);
      edit(this.#any);
      return;
    }
    const plain = new Set(route.hosts.filter((h) => h.kind === HOST_EXACT).map((h) => h.value));
    for (const host of plain) {
      let draft = this.#hosts.get(host);
      if (draft === undefined) {
        draft = new BucketDraft(this.#base.byHost.get(host) ?? EMPTY_BUCKET);
        this.#hosts.set(host, draft);
      }
      edit(draft);
    }
    if (route.hosts.some((h) => h.kind !== HOST_EXACT)) {
      this.#wildcard ??= new BucketDraft(this.#base.wildcardHosts);
      edit(this.#wildcard);
    }
  }
}

export const EMPTY_INDEX: RouterIndex = Object.freeze({
  byHost: LayeredMap.of<string, RouteBucket>(),
  wildcardHosts: EMPTY_BUCKET,
  anyHost: EMPTY_BUCKET,
  headerCounts: new Map(),
  headerNames: [],
});
