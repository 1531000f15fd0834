/**
 * Where an entity truly differs from the generic DAO. Only certificates do: as Kong's
 * certificates DAO, a certificate carries its server names as a virtual `snis` field, which
 * is read from, and written to, the snis table.
 */
import { SchemaViolationError } from '@turnpike/shared';
import type { EntityName } from '@turnpike/shared/schema';
import type { Queryable } from '../store/types.ts';
import type { WriteContext } from './entity-dao.ts';
import type { TableModel } from './model.ts';
import type { EntityDao, EntityRow } from './types.ts';

/** Adds what is not stored in the row itself (certificates.snis), for the Admin API's reads. */
export async function decorate(q: Queryable, model: TableModel, rows: EntityRow[]): Promise<EntityRow[]> {
  if (model.name !== 'certificates' || rows.length === 0) return rows;
  const { rows: snis } = await q.query<{ certificate_id: string; name: string }>(
    'SELECT certificate_id::text AS certificate_id, name FROM snis WHERE certificate_id = ANY($1::uuid[]) ORDER BY name COLLATE "C"',
    [rows.map((r) => r.id)],
  );
  const byCertificate = new Map<string, string[]>();
  for (const sni of snis) {
    const names = byCertificate.get(sni.certificate_id) ?? [];
    names.push(sni.name);
    byCertificate.set(sni.certificate_id, names);
  }
  return rows.map((row) => ({ ...row, snis: byCertificate.get(row.id) ?? [] }));
}

/**
 * Runs before a write is validated, as Kong's certificates DAO checks `snis` before anything
 * else (kong/db/dao/certificates.lua parse_name_list, snis.lua check_list_is_new): a name given
 * twice, or a name another certificate holds, is a schema violation on `snis` in Kong's words.
 * `certificateId` is the certificate being written (none for an insert).
 */
export async function beforeWrite(
  q: Queryable,
  model: TableModel,
  input: Record<string, unknown>,
  certificateId: string | undefined,
): Promise<void> {
  if (model.name !== 'certificates' || !Array.isArray(input.snis)) return;
  const seen = new Set<unknown>();
  for (const name of input.snis) {
    if (seen.has(name)) throw new SchemaViolationError({ snis: `${String(name)} is duplicated` });
    seen.add(name);
  }
  const names = input.snis.filter((s): s is string => typeof s === 'string').sort();
  if (names.length === 0) return;
  const { rows } = await q.query<{ name: string; certificate_id: string }>(
    'SELECT name, certificate_id::text AS certificate_id FROM snis WHERE name = ANY($1::text[])',
    [names],
  );
  const owners = new Map(rows.map((r) => [r.name, r.certificate_id]));
  for (const name of names) {
    const owner = owners.get(name);
    if (owner !== undefined && owner !== certificateId) {
      throw new SchemaViolationError({
        snis: `${name} already associated with existing certificate '${owner}'`,
      });
    }
  }
}

/**
 * Runs after a row is written, in the same transaction. A certificate written with `snis`
 * ends up with exactly those SNIs: missing ones created, others deleted (each a recorded change).
 */
export async function afterWrite(
  ctx: WriteContext,
  model: TableModel,
  entity: Record<string, unknown> & { id: string },
  input: Record<string, unknown>,
  daoFor: (name: EntityName) => EntityDao,
): Promise<void> {
  if (model.name !== 'certificates' || !Array.isArray(input.snis)) return;
  const wanted = new Set(input.snis.filter((s): s is string => typeof s === 'string'));
  const { rows } = await ctx.tx.query<{ id: string; name: string }>(
    'SELECT id::text AS id, name FROM snis WHERE certificate_id = $1',
    [entity.id],
  );
  const snis = daoFor('snis');
  for (const row of rows) {
    if (wanted.has(row.name)) wanted.delete(row.name);
    else await snis.delete(row.id);
  }
  for (const name of wanted) await snis.insert({ name, certificate: { id: entity.id } });
}
