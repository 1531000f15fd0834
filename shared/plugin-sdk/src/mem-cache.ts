/**
 * How much a plugin's in-memory cache may hold in this proxy worker: kong.conf `mem_cache_size`
 * (the size of Kong's kong_db_cache shared dictionary, 128m by default) split evenly between the
 * node's proxy workers, since each keeps its own store where Kong's nginx workers share one.
 * proxy-cache's memory strategy bounds each of its dictionaries by it. Installed by the engine
 * when a worker starts (and again by a reload's new workers); undefined outside a proxy worker.
 */

import { nodeSlot } from './node-slot.ts';

const SLOT = nodeSlot<number>('mem-cache-bytes');

/** Bytes per dictionary in this worker, or undefined when no node installed a size (unit tests). */
export function memCacheBytes(): number | undefined {
  return SLOT.get();
}

/** For the engine: mem_cache_size ÷ proxy workers, before the first request. */
export function installMemCacheBytes(bytes: number | undefined): void {
  SLOT.set(bytes);
}
