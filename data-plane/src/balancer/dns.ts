/**
 * Resolving a target's host name into addresses, refreshed in the background as the records'
 * TTL says (never sooner than a floor), and kept for `staleTtl` seconds past expiry when the
 * resolver fails — Kong's dns_stale_ttl — so a DNS outage does not empty the balancer.
 */

import { lookup, Resolver } from 'node:dns/promises';

export interface DnsRecord {
  readonly address: string;
  /** Seconds. */
  readonly ttl: number;
}

/** Resolves a host name; rejects or returns [] when it has no address. Injected so tests need no DNS. */
export type Resolve = (hostname: string) => Promise<readonly DnsRecord[]>;

export interface DnsSettings {
  /** Shortest TTL honoured, seconds: a record with TTL 0 is not resolved in a loop. */
  readonly minTtl: number;
  /** Seconds past expiry that the last good answer is still used while refreshes fail (dns_stale_ttl). */
  readonly staleTtl: number;
  /** Seconds before retrying after a failure (dns_error_ttl / dns_not_found_ttl). */
  readonly errorTtl: number;
}

export const DEFAULT_DNS_SETTINGS: DnsSettings = { minTtl: 1, staleTtl: 3600, errorTtl: 1 };

/** TTL given to answers from the system resolver (/etc/hosts…), which carry none. */
const LOOKUP_TTL = 30;

/**
 * A records with their TTL from the DNS servers; when that fails (a name only /etc/hosts knows,
 * like `localhost`), the system resolver's answer with a fixed TTL.
 */
export function systemResolver(): Resolve {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  return async (hostname) => {
    try {
      const records = await resolver.resolve4(hostname, { ttl: true });
      if (records.length > 0) return records;
    } catch {
      // fall through to the system resolver
    }
    const found = await lookup(hostname, { all: true });
    return found.map((entry) => ({ address: entry.address, ttl: LOOKUP_TTL }));
  };
}

/**
 * The addresses of one host name, kept fresh between `start` and `stop`. Constructing one does
 * nothing: a config version that is planned but never activated resolves no name. A stopped
 * watch keeps its last answer and may be started again (a reverted version takes its watches
 * back); answers to a resolution begun before a stop are dropped.
 */
export class DnsWatch {
  readonly hostname: string;
  /** Sorted, unique; undefined while never resolved or after the stale answer ran out. */
  addresses: readonly string[] | undefined;
  /** The last resolution error, cleared by a success. */
  error: string | undefined;
  /** Settles after the first resolution, whatever its outcome. */
  readonly ready: Promise<void>;
  readonly #resolve: Resolve;
  readonly #settings: DnsSettings;
  readonly #onChange: () => void;
  readonly #resolved: () => void;
  #expiresAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Bumped by every start and stop: a refresh of an older run does nothing. */
  #run = 0;
  #running = false;

  constructor(hostname: string, resolve: Resolve, settings: DnsSettings, onChange: () => void) {
    this.hostname = hostname;
    this.#resolve = resolve;
    this.#settings = settings;
    this.#onChange = onChange;
    const { promise, resolve: resolved } = Promise.withResolvers<void>();
    this.ready = promise;
    this.#resolved = resolved;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Resolves now, then as the TTL says; does nothing when already running. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#refresh(++this.#run);
  }

  stop(): void {
    this.#running = false;
    this.#run++;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #refresh(run: number): Promise<void> {
    let records: readonly DnsRecord[] = [];
    let error: string | undefined;
    try {
      records = await this.#resolve(this.hostname);
      if (records.length === 0) error = 'empty record received';
    } catch (err) {
      error = (err as { code?: string }).code ?? (err as Error).message;
    }
    if (run !== this.#run) return;
    const now = Date.now();
    let next: number;
    const before = this.addresses;
    if (error === undefined) {
      let ttl = Number.POSITIVE_INFINITY;
      for (const r of records) ttl = Math.min(ttl, r.ttl);
      ttl = Math.max(this.#settings.minTtl, Number.isFinite(ttl) ? ttl : this.#settings.minTtl);
      this.addresses = [...new Set(records.map((r) => r.address))].sort();
      this.error = undefined;
      this.#expiresAt = now + ttl * 1000;
      next = ttl * 1000;
    } else {
      this.error = error;
      if (this.addresses !== undefined && now > this.#expiresAt + this.#settings.staleTtl * 1000) {
        this.addresses = undefined;
      }
      next = Math.max(this.#settings.errorTtl, 0.05) * 1000;
    }
    this.#timer = setTimeout(() => void this.#refresh(run), next);
    this.#timer.unref();
    this.#resolved();
    if (!sameList(before, this.addresses)) this.#onChange();
  }
}

/** Two DNS answers (sorted) hold the same addresses. */
export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
