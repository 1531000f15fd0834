/**
 * nginx's `$time_local` (`02/Dec/2026:13:39:07 +0000`), made at most once per second: access log
 * lines of the same second share one string.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `$time_local` of a moment (ms since the epoch), in the process's time zone. */
export function formatTimeLocal(ms: number): string {
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

let cachedSecond = -1;
let cached = '';

/** `$time_local` now, cached for the second. */
export function timeLocalNow(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cached = formatTimeLocal(now);
  }
  return cached;
}
