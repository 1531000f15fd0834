/**
 * Fixed windows as Kong aligns them (kong/tools/timestamp.lua get_timestamps): second, minute,
 * hour and day start on UTC boundaries, month on the first of the UTC month, year on 1 January
 * UTC. Pure functions over a millisecond clock, shared by Kong's rate-limiting plugins
 * (rate-limiting, response-ratelimiting) and any plugin counting in Kong's windows.
 */

/** Shortest first, as Kong's ORDERED_PERIODS. */
export const ORDERED_PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof ORDERED_PERIODS)[number];

/** Period lengths in seconds (Kong's rate-limiting EXPIRATION): months count 30 days, years 365. */
export const PERIOD_SECONDS: Readonly<Record<Period, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
};

/** The start (ms) of the window of `period` that contains `nowMs`. */
export function windowStart(period: Period, nowMs: number): number {
  switch (period) {
    case 'second':
      return nowMs - (nowMs % 1000);
    case 'minute':
      return nowMs - (nowMs % 60000);
    case 'hour':
      return nowMs - (nowMs % 3600000);
    case 'day':
      return nowMs - (nowMs % 86400000);
    case 'month': {
      const d = new Date(nowMs);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
    case 'year':
      return Date.UTC(new Date(nowMs).getUTCFullYear(), 0, 1);
  }
}

/**
 * The end (ms, exclusive) of the window starting at `start`: calendar months and years end on the
 * next one's first instant, so counters are dropped exactly when their window can no longer match.
 */
export function windowEnd(period: Period, start: number): number {
  if (period === 'month') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  if (period === 'year') return Date.UTC(new Date(start).getUTCFullYear() + 1, 0, 1);
  return start + PERIOD_SECONDS[period] * 1000;
}

/**
 * Seconds until the window resets, as Kong computes RateLimit-Reset and Retry-After: the period
 * length minus the whole seconds elapsed, at least 1. For months and years this uses Kong's 30-
 * and 365-day lengths, not the calendar, exactly as Kong reports it.
 */
export function resetSeconds(period: Period, nowMs: number): number {
  const elapsed = Math.floor((nowMs - windowStart(period, nowMs)) / 1000);
  return Math.max(1, PERIOD_SECONDS[period] - elapsed);
}

/** Kong's %.1f: 10 → "10.0", 2.25 → "2.3". */
function oneDecimal(n: number): string {
  return n.toFixed(1);
}

/**
 * Kong's validate_periods_order: the first longer period whose limit is below a shorter one's,
 * as Kong words it (`The limit for hour(10.0) …` in rate-limiting; response-ratelimiting says
 * `the limit …`, pass `lowercase`), or undefined.
 */
export function periodsOrderError(limits: Record<string, unknown>, lowercase = false): string | undefined {
  for (let i = 0; i < ORDERED_PERIODS.length; i++) {
    const lower = ORDERED_PERIODS[i]!;
    const v1 = limits[lower];
    if (typeof v1 !== 'number') continue;
    for (let j = i + 1; j < ORDERED_PERIODS.length; j++) {
      const upper = ORDERED_PERIODS[j]!;
      const v2 = limits[upper];
      if (typeof v2 === 'number' && v2 < v1) {
        return `${lowercase ? 'the' : 'The'} limit for ${upper}(${oneDecimal(v2)}) cannot be lower than the limit for ${lower}(${oneDecimal(v1)})`;
      }
    }
  }
  return undefined;
}
