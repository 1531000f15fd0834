/**
 * The `lookup` of the upstream connections (undici's connector passes it to net / tls.connect):
 * a service's host name is resolved by the same resolver as the balancers' targets, so the dns_*
 * keys apply to every upstream, as in Kong. Answers are cached by their TTL, served stale while a
 * refresh runs (dns_stale_ttl), and failures for dns_not_found_ttl / dns_error_ttl. Runs once per
 * new connection, never per request on a kept-alive one.
 */

import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';
import { type DnsSettings, NOT_FOUND_ERRORS, type Resolve } from './dns.ts';

interface Entry {
  addresses: readonly string[];
  error: (Error & { code?: string }) | undefined;
  expiresAt: number;
  staleUntil: number;
  refreshing: Promise<Entry> | undefined;
}

type Answer = (
  err: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/** Names kept at most (Kong's dns_cache_size default). */
const MAX_NAMES = 10_000;

export function connectLookup(resolve: Resolve, settings: DnsSettings): LookupFunction {
  const cache = new LRUCache<string, Entry>({ max: MAX_NAMES });

  const refresh = (hostname: string, previous: Entry | undefined): Promise<Entry> => {
    if (previous?.refreshing !== undefined) return previous.refreshing;
    const refreshing = resolve(hostname).then(
      (records) => {
        if (records.length === 0)
          throw Object.assign(new Error(`${hostname}: no address`), { code: 'ENODATA' });
        let ttl = Number.POSITIVE_INFINITY;
        for (const r of records) ttl = Math.min(ttl, r.ttl);
        const expiresAt = Date.now() + Math.max(settings.minTtl, ttl) * 1000;
        const entry: Entry = {
          addresses: [...new Set(records.map((r) => r.address))],
          error: undefined,
          expiresAt,
          staleUntil: expiresAt + settings.staleTtl * 1000,
          refreshing: undefined,
        };
        cache.set(hostname, entry);
        return entry;
      },
      (err: Error & { code?: string }) => {
        const now = Date.now();
        // A stale answer outlives failures until dns_stale_ttl runs out.
        if (previous !== undefined && previous.addresses.length > 0 && now < previous.staleUntil) {
          previous.refreshing = undefined;
          return previous;
        }
        const retry = NOT_FOUND_ERRORS.has(err.code ?? '') ? settings.notFoundTtl : settings.errorTtl;
        const entry: Entry = {
          addresses: [],
          error: err,
          expiresAt: now + retry * 1000,
          staleUntil: 0,
          refreshing: undefined,
        };
        cache.set(hostname, entry);
        return entry;
      },
    );
    if (previous !== undefined) previous.refreshing = refreshing;
    return refreshing;
  };

  return ((hostname: string, options: { family?: number | string; all?: boolean }, callback: Answer) => {
    const ipFamily = isIP(hostname);
    if (ipFamily !== 0) return answer(callback, [hostname], options);
    const entry = cache.get(hostname);
    const now = Date.now();
    if (entry !== undefined && entry.addresses.length > 0 && now < entry.staleUntil) {
      if (now >= entry.expiresAt) void refresh(hostname, entry);
      return answer(callback, entry.addresses, options);
    }
    if (entry?.error !== undefined && now < entry.expiresAt) return callback(entry.error, '');
    void refresh(hostname, entry).then((fresh) =>
      fresh.addresses.length > 0
        ? answer(callback, fresh.addresses, options)
        : callback(fresh.error ?? null, ''),
    );
  }) as LookupFunction;
}

/** Answers as dns.lookup does: every address with `all` (net's autoSelectFamily), else the first. */
function answer(
  callback: Answer,
  addresses: readonly string[],
  options: { family?: number | string; all?: boolean },
): void {
  const wanted =
    options.family === 6 || options.family === 'IPv6'
      ? 6
      : options.family === 4 || options.family === 'IPv4'
        ? 4
        : 0;
  const found = addresses
    .map((address) => ({ address, family: isIP(address) }))
    .filter((a) => wanted === 0 || a.family === wanted);
  if (found.length === 0) {
    const err = Object.assign(new Error('no address of the requested family'), { code: 'ENOTFOUND' });
    callback(err, '');
    return;
  }
  if (options.all === true) callback(null, found);
  else callback(null, (found[0] as { address: string }).address, (found[0] as { family: number }).family);
}
