/**
 * Finding the entity a URL segment names: by UUID or endpoint key, and for certificates also by
 * one of their SNI names (Kong's routes/certificates.lua).
 */
import { ENTITIES, type EntityName } from '@turnpike/shared/schema';
import type { EntityRow, ListOptions } from '../dao/types.ts';
import type { AdminContext } from './context.ts';
import { assertAddressable, isUuid } from './keys.ts';

/** The id a certificates segment names when it is an SNI name rather than a UUID. */
async function certificateIdBySni(ctx: AdminContext, name: string): Promise<string | undefined> {
  const sni = await ctx.dao.entity('snis').get(name);
  return foreignId(sni, 'certificate');
}

/**
 * The key to hand the DAO for `segment`: itself, or for a certificate named by SNI its id;
 * undefined when nothing can match. Throws InvalidPrimaryKeyError where Kong does.
 */
export async function resolveKey(
  ctx: AdminContext,
  entity: EntityName,
  segment: string,
): Promise<string | undefined> {
  assertAddressable(ENTITIES[entity], segment);
  if (entity === 'certificates' && !isUuid(segment)) return certificateIdBySni(ctx, segment);
  return segment;
}

export async function findEntity(
  ctx: AdminContext,
  entity: EntityName,
  segment: string,
): Promise<EntityRow | undefined> {
  const key = await resolveKey(ctx, entity, segment);
  return key === undefined ? undefined : ctx.dao.entity(entity).get(key);
}

/** The id of the entity a foreign field points at, or undefined when it is null. */
export function foreignId(row: Record<string, unknown> | undefined, field: string): string | undefined {
  const ref = row?.[field];
  if (typeof ref !== 'object' || ref === null) return undefined;
  const id = (ref as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/** Every row of an entity, page by page (`GET /`, `/tags`); admin-scale data only. */
export async function allRows(
  ctx: AdminContext,
  entity: EntityName,
  options: Omit<ListOptions, 'offset' | 'size'> = {},
): Promise<EntityRow[]> {
  const rows: EntityRow[] = [];
  let offset: string | undefined;
  do {
    const page = await ctx.dao
      .entity(entity)
      .list(offset === undefined ? { ...options, size: 1000 } : { ...options, size: 1000, offset });
    rows.push(...page.data);
    offset = page.offset;
  } while (offset !== undefined);
  return rows;
}
