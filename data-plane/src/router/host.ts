/**
 * Host and SNI matching as traditional_compatible compiles it (kong/router/transform.lua):
 * `*.example.com` is a suffix match on `.example.com`, `example.*` a prefix match on `example.`,
 * anything else is exact; a route host with a port (`example.com:8000`, `*.example.com:8000`,
 * `example.*:8000`) also requires that port. A Host header without a port has the port the client
 * connected to (traditional_compatible: Kong's `net.dst.port`) or the scheme's default, 80 / 443
 * (traditional): see RouterFlavor, match.ts.
 *
 * Our choice where Kong differs by flavor: names compare case-insensitively (DNS names are; the
 * traditional router lowercases, the ATC router compares as received).
 */

export const HOST_EXACT = 0;
export const HOST_SUFFIX = 1;
export const HOST_PREFIX = 2;

export interface HostPattern {
  readonly kind: typeof HOST_EXACT | typeof HOST_SUFFIX | typeof HOST_PREFIX;
  /** Lowercase; for wildcards, the part around the `*` including its dot. */
  readonly value: string;
  /** -1 when the pattern has no port. */
  readonly port: number;
}

/** Splits `host[:port]` (or `[v6]:port`); the port is -1 when absent or not all digits. */
export function splitHostPort(value: string): { host: string; port: number } {
  const lower = value.toLowerCase();
  const colon = lower.startsWith('[') ? lower.indexOf(']:') + 1 : lower.indexOf(':');
  if (colon <= 0 || colon === lower.length - 1) return { host: lower, port: -1 };
  for (let i = colon + 1; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c < 48 || c > 57) return { host: lower, port: -1 };
  }
  return { host: lower.slice(0, colon), port: Number(lower.slice(colon + 1)) };
}

export function compileHostPattern(configured: string): HostPattern {
  const { host, port } = splitHostPort(configured);
  if (host.startsWith('*')) return { kind: HOST_SUFFIX, value: host.slice(1), port };
  if (host.endsWith('*')) return { kind: HOST_PREFIX, value: host.slice(0, -1), port };
  return { kind: HOST_EXACT, value: host, port };
}

export function hostPatternMatches(pattern: HostPattern, host: string, port: number): boolean {
  if (pattern.port !== -1 && pattern.port !== port) return false;
  switch (pattern.kind) {
    case HOST_EXACT:
      return host === pattern.value;
    case HOST_SUFFIX:
      return host.endsWith(pattern.value);
    default:
      return host.startsWith(pattern.value);
  }
}

/** Route SNIs lose a trailing dot ("last dot in FQDNs must not be used for routing"). */
export function compileSniPattern(configured: string): HostPattern {
  const sni = configured.length > 1 && configured.endsWith('.') ? configured.slice(0, -1) : configured;
  const lower = sni.toLowerCase();
  if (lower.startsWith('*')) return { kind: HOST_SUFFIX, value: lower.slice(1), port: -1 };
  if (lower.endsWith('*')) return { kind: HOST_PREFIX, value: lower.slice(0, -1), port: -1 };
  return { kind: HOST_EXACT, value: lower, port: -1 };
}

/** The request SNI in the form route SNIs are compared with. */
export function normalizeSni(sni: string | undefined): string | undefined {
  if (sni === undefined || sni === '') return undefined;
  const lower = sni.toLowerCase();
  return lower.length > 1 && lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
