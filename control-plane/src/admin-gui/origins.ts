/**
 * Where the Admin GUI is, seen from a browser: the origins the Admin API accepts cross-origin
 * requests from, and what the GUI is told about the Admin API (Kong's kconfig.js, as JSON).
 */
import {
  CSP_HOST_VARIABLE,
  isLoopback,
  type ListenEntry,
  type TurnpikeConfig,
} from '@turnpike/shared/config';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The names a browser on this machine may use for a loopback or wildcard bind. */
function browserHosts(host: string): string[] {
  if (WILDCARDS.has(host)) return ['127.0.0.1', 'localhost', '[::1]'];
  if (isLoopback(host)) return [bracketed(host), 'localhost'];
  return [bracketed(host)];
}

/**
 * admin_gui_url's origins when it is set (Kong's admin_gui_origin), else the origins of the GUI
 * listeners as a browser on this machine would write them. A wildcard bind cannot know the name
 * browsers elsewhere use: only loopback names are allowed until admin_gui_url says more.
 */
export function adminGuiOrigins(
  config: Pick<TurnpikeConfig, 'admin_gui_url'>,
  listeners: readonly Pick<ListenEntry, 'host' | 'port' | 'ssl'>[],
): string[] {
  if (config.admin_gui_url.length > 0)
    return [...new Set(config.admin_gui_url.map((u) => new URL(u).origin))];
  const origins = new Set<string>();
  for (const entry of listeners) {
    const scheme = entry.ssl ? 'https' : 'http';
    for (const host of browserHosts(entry.host))
      origins.add(new URL(`${scheme}://${host}:${entry.port}`).origin);
  }
  return [...origins];
}

/** What `GET /kconfig.json` tells the GUI: the fields of Kong's K_CONFIG it uses. */
export interface GuiSettings {
  /** admin_gui_api_url as written (a scheme is optional), or null: then the GUI's host with a port below. */
  readonly admin_api_url: string | null;
  readonly admin_api_port: number | null;
  readonly admin_api_ssl_port: number | null;
  readonly version: string;
}

export interface AdminPorts {
  readonly http: number | undefined;
  readonly https: number | undefined;
}

export function guiSettings(apiUrl: string | undefined, ports: AdminPorts, version: string): GuiSettings {
  return {
    admin_api_url: apiUrl ?? null,
    admin_api_port: ports.http ?? null,
    admin_api_ssl_port: ports.https ?? null,
    version,
  };
}

/** A Host header we are willing to repeat in a CSP: a name or address, an optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;

/**
 * The CSP connect-src: the page's own origin and the Admin API's. Unset admin_gui_api_url, the
 * API is on the host the page was loaded from (Kong's `http://$host:<admin port>`).
 */
export function connectSources(
  apiUrl: string | undefined,
  ports: AdminPorts,
  hostHeader: string | undefined,
): string[] {
  const sources = ["'self'"];
  if (apiUrl !== undefined) {
    const hasScheme = /^https?:\/\//i.test(apiUrl);
    const url = new URL(hasScheme ? apiUrl : `http://${apiUrl}`);
    // A scheme-less source matches the page's scheme, as the GUI does with such a URL.
    sources.push(hasScheme ? url.origin : url.host);
    return sources;
  }
  const match = hostHeader === undefined ? null : HOST_HEADER.exec(hostHeader);
  const host = match?.[1];
  if (host === undefined) return sources;
  if (ports.http !== undefined) sources.push(`http://${host}:${ports.http}`);
  if (ports.https !== undefined) sources.push(`https://${host}:${ports.https}`);
  return sources;
}

export function contentSecurityPolicy(connect: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What admin_gui_csp_header and admin_gui_csp_header_value ask for. */
export interface CspSettings {
  /** admin_gui_csp_header: off sends no Content-Security-Policy header (Kong 3.10's default; ours is on). */
  readonly enabled: boolean;
  /** admin_gui_csp_header_value: sent instead of contentSecurityPolicy(), `$host` expanded. */
  readonly value?: string | undefined;
}

/**
 * The Content-Security-Policy header of one answer, or undefined when admin_gui_csp_header is
 * off. `$host` in a configured value is nginx's: the Host header's name (no port), lower-cased,
 * else the address the request came in on.
 */
export function cspHeader(
  csp: CspSettings,
  apiUrl: string | undefined,
  ports: AdminPorts,
  hostHeader: string | undefined,
  localAddress: string | undefined,
): string | undefined {
  if (!csp.enabled) return undefined;
  if (csp.value === undefined) return contentSecurityPolicy(connectSources(apiUrl, ports, hostHeader));
  const match = hostHeader === undefined ? null : HOST_HEADER.exec(hostHeader);
  const local = (localAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
  const host = match?.[1]?.toLowerCase() ?? (local.includes(':') ? `[${local}]` : local);
  return csp.value.replace(CSP_HOST_VARIABLE, host);
}
