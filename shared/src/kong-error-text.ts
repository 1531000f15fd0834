/**
 * The text of Kong's DAO errors (kong/db/errors.lua) where it is built from the fields: the
 * schema violation's `N schema violations (…)`. Pure; errors.ts builds its errors with it.
 */
import type { FieldErrors } from './errors.ts';
import { luaPretty } from './lua-pretty.ts';

/** Lua's string order (byte order for the ASCII keys Kong sorts). */
export const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A table's keys as Kong's sorted_keys gives them: an array's 1-based indices, an object's names. */
function sortedEntries(value: FieldErrors | (string | FieldErrors | null)[]): [string, unknown][] {
  if (Array.isArray(value))
    return value.flatMap((item, i) => (item === null || item === undefined ? [] : [[String(i + 1), item]]));
  return Object.keys(value)
    .sort(byteOrder)
    .map((key) => [key, value[key]]);
}

/**
 * Kong's errors:schema_violation message (kong/db/errors.lua), word for word: the `@entity`
 * messages first, as they are; then each field in sorted order, `field: msg`, or for a nested
 * table one entry per key, `field.key: msg`, deeper tables pretty-printed by penlight. One entry
 * reads `schema violation (…)`, several `N schema violations (…; …)`.
 */
export function schemaViolationMessage(fields: FieldErrors): string {
  const parts: string[] = [];
  const entity = fields['@entity'];
  if (entity !== undefined) {
    for (const message of Array.isArray(entity) ? entity : [entity]) {
      if (message !== null) parts.push(typeof message === 'string' ? message : luaPretty(message, '  '));
    }
  }
  for (const [key, value] of sortedEntries(fields)) {
    if (key === '@entity') continue;
    if (typeof value !== 'object' || value === null) {
      parts.push(`${key}: ${String(value)}`);
      continue;
    }
    for (const [sub, item] of sortedEntries(value as FieldErrors)) {
      parts.push(
        `${key}.${sub}: ${typeof item === 'object' && item !== null ? luaPretty(item, '  ') : String(item)}`,
      );
    }
  }
  return parts.length === 1
    ? `schema violation (${parts[0]})`
    : `${parts.length} schema violations (${parts.join('; ')})`;
}
