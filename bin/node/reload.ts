import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the running node reports the outcome of a SIGHUP, for `turnpike reload` to read. */
export const RELOAD_RESULT_FILE = 'reload-result.json';

export interface ReloadResult {
  /** When the reload finished (ms since epoch). */
  at: number;
  ok: boolean;
  message: string;
}

export async function writeReloadResult(prefix: string, result: ReloadResult): Promise<void> {
  const path = join(prefix, RELOAD_RESULT_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(result));
  await rename(`${path}.tmp`, path);
}
