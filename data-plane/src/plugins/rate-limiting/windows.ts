/**
 * Fixed windows as Kong aligns them (kong/tools/timestamp.lua get_timestamps): second, minute,
 * hour and day start on UTC boundaries, month on the first of the UTC month, year on 1 January
 * UTC. Pure functions over a millisecond clock.
 */
import type { Period } from './schema.ts';

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
