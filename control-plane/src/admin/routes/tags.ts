/**
 * `GET /tags` and `GET /tags/{tag}`: `{ data: [{ entity_name, entity_id, tag }], offset?, next }`.
 * The DAO has no tags index, so the rows are gathered from every tagged entity and paged here
 * with an offset of our own (the row index, base64): fine at Admin API scale.
 */
import { InvalidOffsetError, InvalidSizeError } from '@turnpike/shared';
import { ENTITIES, type EntityName } from '@turnpike/shared/schema';
import type { FastifyInstance } from 'fastify';
import type { AdminContext } from '../context.ts';
import { allRows } from '../lookup.ts';
import { parseListQuery } from '../pagination.ts';

export interface TagRow {
  entity_name: EntityName;
  entity_id: string;
  tag: string;
}

const TAGGED = Object.values(ENTITIES).filter((def) => 'tags' in def.fields);

async function tagRows(ctx: AdminContext, only?: string): Promise<TagRow[]> {
  const out: TagRow[] = [];
  for (const def of TAGGED) {
    const rows = await allRows(ctx, def.name, only === undefined ? {} : { tags: { any: [only] } });
    for (const row of rows) {
      const tags = Array.isArray(row.tags) ? (row.tags as unknown[]) : [];
      for (const tag of tags) {
        if (typeof tag !== 'string' || (only !== undefined && tag !== only)) continue;
        out.push({ entity_name: def.name, entity_id: row.id, tag });
      }
    }
  }
  return out;
}

function decodeOffset(offset: string): number {
  const n = Number(Buffer.from(offset, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidOffsetError(`'${offset}' is not a valid offset: bad base64 encoding`);
  }
  return n;
}

/** Slices one page of tag rows and links the next, as the entity collections do. */
export function tagPage(rows: readonly TagRow[], basePath: string, query: unknown) {
  const q = parseListQuery(query);
  const size = q.size ?? 100;
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new InvalidSizeError('size must be an integer between 1 and 1000');
  }
  const start = q.offset === undefined ? 0 : decodeOffset(q.offset);
  const data = rows.slice(start, start + size);
  if (start + size >= rows.length) return { data, next: null };
  const offset = Buffer.from(String(start + size)).toString('base64url');
  const sizeArg = q.rawSize === undefined ? '' : `&size=${q.rawSize}`;
  return { data, offset, next: `${basePath}?offset=${offset}${sizeArg}` };
}

export function registerTagRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const tags = ['tags'];
  app.get('/tags', { schema: { tags, summary: 'Every tag of every entity' } }, async (request) =>
    tagPage(await tagRows(ctx), '/tags', request.query),
  );
  app.get<{ Params: { tag: string } }>(
    '/tags/:tag',
    { schema: { tags, summary: 'The entities with one tag' } },
    async (request) => {
      const { tag } = request.params;
      return tagPage(await tagRows(ctx, tag), `/tags/${encodeURIComponent(tag)}`, request.query);
    },
  );
}
