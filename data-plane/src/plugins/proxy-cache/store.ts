/**
 * The memory strategy (Kong's strategies/memory.lua over an nginx shared dict): one store per
 * `memory.dictionary_name`, in this worker process, shared by every proxy-cache instance that
 * names it. Bounded: at most MAX_BYTES of bodies and headers per store (lru-cache: the least
 * recently used entries go first, as the shared dict evicts under pressure), each entry dropped
 * after its storage TTL.
 *
 * An entry is Kong's cached object: status, headers (as Kong's `ngx.resp.get_headers`, a
 * repeated header as an array), body, body_len, timestamp (s), ttl, version, req_body; the
 * `/proxy-cache` Admin endpoints show it as is.
 */
import { LRUCache } from 'lru-cache';

export const CACHE_VERSION = 1;

/** Per dictionary, per worker (Kong's kong_db_cache is 128 MiB per node). */
export const MAX_BYTES = 64 * 1024 * 1024;

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
  readonly #lru: LRUCache<string, CachedResponse>;

  constructor(maxBytes = MAX_BYTES) {
    this.#lru = new LRUCache<string, CachedResponse>({
      maxSize: maxBytes,
      sizeCalculation: sizeOf,
      ttlAutopurge: false,
    });
  }

  /** Stores for `ttlSeconds` (Kong's dict:set ttl); an entry larger than the store is not kept. */
  store(key: string, entry: CachedResponse, ttlSeconds: number): void {
    this.#lru.set(key, entry, { ttl: Math.max(1, ttlSeconds) * 1000 });
  }

  fetch(key: string): CachedResponse | undefined {
    return this.#lru.get(key);
  }

  /** True when there was an entry. */
  purge(key: string): boolean {
    return this.#lru.delete(key);
  }

  flush(): void {
    this.#lru.clear();
  }

  get size(): number {
    return this.#lru.size;
  }
}

/** The stores of this process by dictionary name. */
export class MemoryStores {
  readonly #stores = new Map<string, MemoryStore>();
  readonly #maxBytes: number;

  constructor(maxBytes = MAX_BYTES) {
    this.#maxBytes = maxBytes;
  }

  get(dictionary: string): MemoryStore {
    let store = this.#stores.get(dictionary);
    if (store === undefined) {
      store = new MemoryStore(this.#maxBytes);
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
