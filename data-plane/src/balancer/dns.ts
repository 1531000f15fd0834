/**
 * Resolving host names as Kong's DNS client does (kong/resty/dns/client.lua, with the dns_* keys):
 * the hosts file first, then DNS servers (dns_resolver, else the system's) for the record types of
 * dns_order, the resolv.conf search list applied, TTLs overridden by dns_valid_ttl. `DnsWatch`
 * keeps a target's addresses fresh in the background as the records' TTL says (never sooner than
 * a floor), and for `staleTtl` seconds past expiry when the resolver fails — Kong's dns_stale_ttl —
 * so a DNS outage does not empty the balancer.
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
  /** Seconds before retrying after a failure (dns_error_ttl). */
  readonly errorTtl: number;
  /** Seconds before retrying a name that does not exist or has no address (dns_not_found_ttl). */
  readonly notFoundTtl: number;
}

export const DEFAULT_DNS_SETTINGS: DnsSettings = { minTtl: 1, staleTtl: 3600, errorTtl: 1, notFoundTtl: 30 };

/** The record types a name is tried with (dns_order; SRV is refused by the configuration). */
export type DnsRecordType = 'LAST' | 'A' | 'AAAA' | 'CNAME';

/** A name of the hosts file: its first IPv4 and first IPv6 address. */
export interface HostsEntry {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

/** Where and how names are resolved: the dns_* keys and resolv.conf, read once by the main process. */
export interface ResolverSettings {
  /** dns_resolver: `ip`, `ip:port` or `[ipv6]:port`; empty means the system's (resolv.conf). */
  readonly servers: readonly string[];
  /** dns_hostsfile, parsed; names are lowercase. */
  readonly hosts: ReadonlyMap<string, HostsEntry>;
  readonly order: readonly DnsRecordType[];
  /** resolv.conf `search` (or `domain`) and `options ndots`. */
  readonly search: readonly string[];
  readonly ndots: number;
  /** dns_valid_ttl: seconds every answer is kept, whatever its TTL. */
  readonly validTtl: number | undefined;
  /**
   * Ask the system (getaddrinfo) when DNS has no answer. Only without settings from the
   * configuration (tests, tools): a configured node resolves as Kong does, hosts file and DNS.
   */
  readonly systemFallback: boolean;
}

export const DEFAULT_RESOLVER_SETTINGS: ResolverSettings = {
  servers: [],
  hosts: new Map(),
  order: ['LAST', 'A', 'CNAME'],
  search: [],
  ndots: 1,
  validTtl: undefined,
  systemFallback: true,
};

/** TTL of hosts file entries (Kong: ten years) and of getaddrinfo's answers, which carry none. */
const HOSTS_TTL = 10 * 365 * 86_400;
const LOOKUP_TTL = 30;
/** A refresh is never scheduled further than this: node's timers overflow past 2^31 ms. */
const MAX_REFRESH_MS = 86_400_000;
/** DNS failures that mean the servers could not be asked: Kong stops trying other types then. */
const NETWORK_ERRORS = new Set(['ETIMEOUT', 'ECONNREFUSED', 'ECANCELLED', 'EDESTRUCTION']);
/** Answers that mean the name has no address: dns_not_found_ttl applies. */
export const NOT_FOUND_ERRORS = new Set(['ENOTFOUND', 'ENODATA', 'empty record received']);

/**
 * A resolver error as node's own (errno `code`), not a catalogue error: it stands where node's
 * would, read by code by undici, upstream/failure.ts and NOT_FOUND_ERRORS (so do dns-lookup.ts's).
 */
function notFound(hostname: string): Error {
  return Object.assign(new Error(`${hostname}: no address (ENOTFOUND)`), { code: 'ENOTFOUND' });
}

/** The names to ask for `hostname`, in Kong's order (kong/resty/dns/client.lua search_iter). */
export function searchNames(
  hostname: string,
  settings: Pick<ResolverSettings, 'search' | 'ndots' | 'hosts'>,
): string[] {
  if (hostname.endsWith('.')) return [hostname.slice(0, -1)];
  const searched = settings.search.map((domain) => `${hostname}.${domain}`);
  const dots = hostname.split('.').length - 1;
  return dots < settings.ndots && !settings.hosts.has(hostname)
    ? [...searched, hostname]
    : [hostname, ...searched];
}

/**
 * A resolver of host names to addresses with their TTL, as Kong's: for each type of `order`
 * (LAST being the type that last answered for the name), the hosts file, then every search name.
 * Rejects with the last error (`code` ENOTFOUND / ENODATA when the name has no address).
 */
export function systemResolver(settings: ResolverSettings = DEFAULT_RESOLVER_SETTINGS): Resolve {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  if (settings.servers.length > 0) resolver.setServers([...settings.servers]);
  const lastType = new Map<string, DnsRecordType>();
  const withTtl = (records: readonly DnsRecord[]): DnsRecord[] =>
    settings.validTtl === undefined
      ? [...records]
      : records.map((r) => ({ ...r, ttl: settings.validTtl as number }));

  const query = async (type: DnsRecordType, name: string, depth: number): Promise<readonly DnsRecord[]> => {
    if (type === 'A') return resolver.resolve4(name, { ttl: true });
    if (type === 'AAAA') return resolver.resolve6(name, { ttl: true });
    const [target] = await resolver.resolveCname(name);
    if (target === undefined || depth > 5) return [];
    return resolveName(target, depth + 1);
  };

  const resolveName = async (hostname: string, depth: number): Promise<DnsRecord[]> => {
    const name = hostname.toLowerCase();
    const types: DnsRecordType[] = [];
    for (const type of settings.order) {
      const actual = type === 'LAST' ? lastType.get(name) : type;
      if (actual !== undefined && !types.includes(actual)) types.push(actual);
    }
    let failure: unknown;
    for (const type of types) {
      const entry = settings.hosts.get(name.replace(/\.$/, ''));
      const fromHosts = type === 'A' ? entry?.ipv4 : type === 'AAAA' ? entry?.ipv6 : undefined;
      if (fromHosts !== undefined) return [{ address: fromHosts, ttl: HOSTS_TTL }];
      for (const candidate of searchNames(name, settings)) {
        try {
          const records = await query(type, candidate, depth);
          if (records.length > 0) {
            lastType.set(name, type);
            return withTtl(records);
          }
        } catch (err) {
          failure = err;
          if (NETWORK_ERRORS.has((err as { code?: string }).code ?? '')) throw err;
        }
      }
    }
    if (settings.systemFallback) {
      const found = await lookup(hostname, { all: true });
      return found.map((entry) => ({ address: entry.address, ttl: LOOKUP_TTL }));
    }
    throw failure ?? notFound(hostname);
  };

  return (hostname) => resolveName(hostname, 0);
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
      const retry = NOT_FOUND_ERRORS.has(error) ? this.#settings.notFoundTtl : this.#settings.errorTtl;
      next = Math.max(retry, 0.05) * 1000;
    }
    this.#timer = setTimeout(() => void this.#refresh(run), Math.min(next, MAX_REFRESH_MS));
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
