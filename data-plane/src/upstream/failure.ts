/**
 * What an upstream failure means for the client, as nginx decides for Kong: a timeout is a 504,
 * anything else a 502; only failures to connect (nothing reached the upstream) may be retried.
 * The write timeout (TP_UPSTREAM_WRITE_TIMEOUT, nginx's proxy_send_timeout) is a timeout too:
 * 504, and counted by passive health checks as one, as Kong reports every 504.
 */

export type UpstreamFailure = 'connect' | 'timeout' | 'invalid';

/** Errors raised while the connection was being opened: no byte of the request was sent. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'TP_UPSTREAM_WRITE_TIMEOUT',
]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = codeOf(err);
  if (code === undefined) return 'invalid';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (CONNECT_CODES.has(code)) return 'connect';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  return 'invalid';
}

/** True when the request may be sent again: the connection never opened. A connect timeout counts. */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && (code === 'UND_ERR_CONNECT_TIMEOUT' || CONNECT_CODES.has(code));
}
