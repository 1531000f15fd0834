/** The proxy's settings, derived once from turnpike.conf (Kong's key names). */

import { join } from 'node:path';
import type { TurnpikeConfig } from '@turnpike/shared/config';

export interface ProxyLimits {
  /** client_max_body_size in bytes; 0 means unlimited. */
  readonly maxBodySize: number;
  /**
   * client_body_buffer_size in bytes: a buffered request body (route request_buffering, Kong's
   * default) is held in memory up to this size, then spilled to a file in `bodyTempDir`.
   */
  readonly bodyBufferSize: number;
  /** client_header_max_size: bytes of header lines (name, value, separators), request line apart. */
  readonly maxHeaderSize: number;
  /** client_header_max_count. */
  readonly maxHeaderCount: number;
  /** Longest request-target accepted (414 beyond). Turnpike choice: the size of nginx's header buffer. */
  readonly maxUrlLength: number;
  /** client_header_timeout, ms. */
  readonly headerTimeout: number;
  /** keepalive_timeout, ms. */
  readonly keepAliveTimeout: number;
  /** Whole-request deadline, ms (0: none); node's requestTimeout. */
  readonly requestTimeout: number;
}

/** The body formats of the proxy's own errors (kong/tools/http.lua ERROR_TEMPLATES). */
export type ErrorFormat = 'json' | 'xml' | 'html' | 'plain';

/** error_default_type's values, as kong.conf writes them. */
export const ERROR_FORMAT_OF_TYPE: Readonly<Record<string, ErrorFormat>> = {
  'application/json': 'json',
  'application/xml': 'xml',
  'text/html': 'html',
  'text/plain': 'plain',
};

/**
 * How the proxy's own responses look: which of Kong's response headers are added (kong.conf
 * `headers`), and the error body format when neither Accept nor Content-Type decides
 * (`error_default_type`).
 */
export interface ResponseHeaderFlags {
  readonly server: boolean;
  readonly via: boolean;
  readonly proxyLatency: boolean;
  readonly upstreamLatency: boolean;
  readonly responseLatency: boolean;
  /** X-Kong-Upstream-Status on proxied responses (only when listed: no token implies it). */
  readonly upstreamStatus: boolean;
  /** X-Kong-Request-Id on every response (Kong's default `headers` lists it). */
  readonly requestId: boolean;
  /** X-Kong-Request-Id on requests sent upstream (`headers_upstream`), replacing the client's. */
  readonly upstreamRequestId: boolean;
  readonly errorDefaultType: ErrorFormat;
}

export interface ProxySettings {
  readonly limits: ProxyLimits;
  readonly headers: ResponseHeaderFlags;
  /** trusted_ips entries: addresses or CIDR blocks. */
  readonly trustedIps: readonly string[];
  /** real_ip_header, lowercase. */
  readonly realIpHeader: string;
  readonly realIpRecursive: boolean;
  /**
   * Where request bodies over bodyBufferSize are spilled (nginx's client_body_temp_path):
   * `<prefix>/client_body_temp`; undefined means the OS temp folder (tests, embedding).
   */
  readonly bodyTempDir: string | undefined;
}

/** The folder under the prefix that holds spilled request bodies, as nginx names it. */
export const CLIENT_BODY_TEMP = 'client_body_temp';

export const DEFAULT_LIMITS: ProxyLimits = {
  maxBodySize: 0,
  bodyBufferSize: 8192,
  maxHeaderSize: 8192,
  maxHeaderCount: 100,
  maxUrlLength: 8192,
  headerTimeout: 60_000,
  keepAliveTimeout: 60_000,
  requestTimeout: 300_000,
};

/** Kong's HEADER_KEY_TO_NAME groups (kong/conf_loader/constants.lua); errors in Kong's default text/plain. */
export function responseHeaderFlags(
  tokens: readonly string[],
  errorDefaultType: ErrorFormat = 'plain',
  upstreamTokens: readonly string[] = ['X-Kong-Request-Id'],
): ResponseHeaderFlags {
  const on = new Set(tokens.map((t) => t.toLowerCase()));
  const upstream = new Set(upstreamTokens.map((t) => t.toLowerCase()));
  const upstreamRequestId = !upstream.has('off') && upstream.has('x-kong-request-id');
  if (on.has('off')) {
    return {
      server: false,
      via: false,
      proxyLatency: false,
      upstreamLatency: false,
      responseLatency: false,
      upstreamStatus: false,
      requestId: false,
      upstreamRequestId,
      errorDefaultType,
    };
  }
  const server = on.has('server_tokens');
  const latency = on.has('latency_tokens');
  return {
    server: server || on.has('server'),
    via: server || on.has('via'),
    proxyLatency: latency || on.has('x-kong-proxy-latency'),
    upstreamLatency: latency || on.has('x-kong-upstream-latency'),
    responseLatency: latency || on.has('x-kong-response-latency'),
    upstreamStatus: on.has('x-kong-upstream-status'),
    requestId: on.has('x-kong-request-id'),
    upstreamRequestId,
    errorDefaultType,
  };
}

export const DEFAULT_SETTINGS: ProxySettings = {
  limits: DEFAULT_LIMITS,
  headers: responseHeaderFlags(['server_tokens', 'latency_tokens', 'X-Kong-Request-Id']),
  trustedIps: [],
  realIpHeader: 'x-real-ip',
  realIpRecursive: false,
  bodyTempDir: undefined,
};

type ProxyConfigKeys =
  | 'prefix'
  | 'client_max_body_size'
  | 'client_body_buffer_size'
  | 'client_header_max_size'
  | 'client_header_max_count'
  | 'client_header_timeout'
  | 'keepalive_timeout'
  | 'headers'
  | 'headers_upstream'
  | 'trusted_ips'
  | 'real_ip_header'
  | 'real_ip_recursive'
  | 'error_default_type';

export function proxySettingsFromConfig(config: Pick<TurnpikeConfig, ProxyConfigKeys>): ProxySettings {
  return {
    limits: {
      ...DEFAULT_LIMITS,
      maxBodySize: config.client_max_body_size,
      bodyBufferSize: config.client_body_buffer_size,
      maxHeaderSize: config.client_header_max_size,
      maxHeaderCount: config.client_header_max_count,
      maxUrlLength: config.client_header_max_size,
      headerTimeout: config.client_header_timeout,
      keepAliveTimeout: config.keepalive_timeout,
    },
    headers: responseHeaderFlags(
      config.headers,
      ERROR_FORMAT_OF_TYPE[config.error_default_type] ?? 'plain',
      config.headers_upstream,
    ),
    trustedIps: config.trusted_ips,
    realIpHeader: config.real_ip_header.toLowerCase(),
    realIpRecursive: config.real_ip_recursive,
    bodyTempDir: join(config.prefix, CLIENT_BODY_TEMP),
  };
}
