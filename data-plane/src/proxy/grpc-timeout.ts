/**
 * The `grpc-timeout` request header (PROTOCOL-HTTP2.md): at most 8 digits and a unit, H (hours),
 * M (minutes), S (seconds), m (milliseconds), u (microseconds) or n (nanoseconds).
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/** The deadline in milliseconds (at least 1), or undefined when absent or malformed. */
export function grpcTimeoutMs(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value.length < 2 || value.length > 9) return undefined;
  const unit = UNIT_MS[value[value.length - 1]!];
  if (unit === undefined) return undefined;
  const digits = value.slice(0, -1);
  if (!/^\d+$/.test(digits)) return undefined;
  return Math.max(1, Math.ceil(Number(digits) * unit));
}
