/**
 * The plugin names the stored configuration uses (every plugins row, enabled or not: Kong's
 * plugins iterator refuses a disabled instance of a plugin that is not enabled too), for the
 * start-up check "<name> plugin is in use but not enabled" that `turnpike check` runs without
 * starting a control plane. A database without the table yet (before bootstrap) uses none.
 */
import { sqlStateOf } from './errors.ts';
import type { Queryable } from './types.ts';

const UNDEFINED_TABLE = '42P01';

export async function readPluginsInUse(db: Queryable): Promise<string[]> {
  try {
    const result = await db.query<{ name: string }>('SELECT DISTINCT name FROM plugins ORDER BY name');
    return result.rows.map((row) => row.name);
  } catch (err) {
    if (sqlStateOf(err) === UNDEFINED_TABLE) return [];
    throw err;
  }
}
