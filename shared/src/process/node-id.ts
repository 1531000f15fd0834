import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** This node's id: a UUID kept in the prefix, so a restarted node is recognised as the same one. */
export async function loadNodeId(prefix: string): Promise<string> {
  const path = join(prefix, 'node_id');
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (UUID.test(existing)) return existing.toLowerCase();
  const id = randomUUID();
  await mkdir(prefix, { recursive: true });
  await writeFile(path, `${id}\n`);
  return id;
}
