/**
 * The memory strategy (Kong's strategies/memory.lua over an nginx shared dict): one store per
 * `memory.dictionary_name`, in this worker process, shared by every proxy-cache instance that
 * names it. Bounded by kong.conf `mem_cache_size` (Kong's size of kong_db_cache, the default
 * dictionary) ÷ the node's proxy workers, as the SDK's `memCacheBytes()` gives it, per store, in
 * bytes of bodies and headers (lru-cache: the least recently used entries go first, as the shared
 * dict evicts under pressure); each entry is dropped after its storage TTL. A store made before a
 * reload changed the size is replaced (emptied) on its next use.
 *
 * An entry is Kong's cached object: status, headers (as Kong's `ngx.resp.get_headers`, a
 * repeated header as an array), body, body_len, timestamp (s), ttl, version, req_body; the
 * `/proxy-cache` Admin endpoints show it as is.
 */
import { memCacheBytes } from '@turnpike/plugin-sdk';
import { LRUCache } from 'lru-cache';

export const CACHE_VERSION = 1;

/** Per dictionary, per worker, outside a node (unit tests): Kong's default mem_cache_size. */
export const MAX_BYTES = 128 * 1024 * 1024;

export interface CachedResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
  readonly body_len: number;
  readonly timestamp: number;
  readonly ttl: number;
  readonly version: number;
  readonly req_body: string | null;
}

function sizeOf(entry: CachedResponse): number {
  let size = entry.body.length + 64;
  for (const [name, value] of Object.entries(entry.headers)) {
    size += name.length + (Array.isArray(value) ? value.join('').length : value.length);
  }
  return Math.max(1, size);
}

export class MemoryStore {
  readonly #lru: LRUCache<string, CachedResponse> | undefined;
  /** The bound it was made with. */
  readonly maxBytes: number;

  constructor(maxBytes = MAX_BYTES) {
    this.maxBytes = maxBytes;
    // mem_cache_size = 0: nothing is kept (lru-cache needs a positive size).
    this.#lru =
      maxBytes > 0
        ? new LRUCache<string, CachedResponse>({
            maxSize: maxBytes,
            sizeCalculation: sizeOf,
            ttlAutopurge: false,
          })
        : undefined;
  }

  /** Stores for `ttlSeconds` (Kong's dict:set ttl); an entry larger than the store is not kept. */
  store(key: string, entry: CachedResponse, ttlSeconds: number): void {
    this.#lru?.set(key, entry, { ttl: Math.max(1, ttlSeconds) * 1000 });
  }

  fetch(key: string): CachedResponse | undefined {
    return this.#lru?.get(key);
  }

  /** True when there was an entry. */
  purge(key: string): boolean {
    return this.#lru?.delete(key) ?? false;
  }

  flush(): void {
    this.#lru?.clear();
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }

  /** Bytes held (bodies and headers, as bounded). */
  get bytes(): number {
    return this.#lru?.calculatedSize ?? 0;
  }
}

/** The stores of this process by dictionary name. */
export class MemoryStores {
  readonly #stores = new Map<string, MemoryStore>();
  readonly #maxBytes: (() => number) | undefined;

  /** `maxBytes` fixes the bound (tests); by default it is the node's, `memCacheBytes()`. */
  constructor(maxBytes?: number) {
    this.#maxBytes = maxBytes === undefined ? undefined : () => maxBytes;
  }

  get(dictionary: string): MemoryStore {
    const bound = this.#maxBytes?.() ?? memCacheBytes() ?? MAX_BYTES;
    let store = this.#stores.get(dictionary);
    if (store === undefined || store.maxBytes !== bound) {
      store = new MemoryStore(bound);
      this.#stores.set(dictionary, store);
    }
    return store;
  }

  /** The store of `dictionary` if one was ever used. */
  existing(dictionary: string): MemoryStore | undefined {
    return this.#stores.get(dictionary);
  }
}

/** The entry as Kong's Admin API shows it: the body as text. */
export function entryDocument(entry: CachedResponse): Record<string, unknown> {
  return { ...entry, body: entry.body.toString('utf8') };
}
