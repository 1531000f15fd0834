/**
 * Kong's paging: `size` (default 100) and the opaque `offset` in, and
 * `{ data, offset?, next }` out, where `next` is the path of the following page or null.
 */
import { InvalidOptionsError, InvalidSizeError } from '@turnpike/shared';
import type { ListOptions, Page, TagFilter } from '../dao/types.ts';

export interface ListQuery {
  readonly size?: number;
  readonly offset?: string;
  readonly tags?: TagFilter;
  /** The raw `size` and `tags` values, repeated in `next` as Kong does. */
  readonly rawSize?: string;
  readonly rawTags?: string;
}

export interface PageBody {
  data: unknown[];
  offset?: string;
  next: string | null;
}

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return first(value[0]);
  return typeof value === 'string' ? value : undefined;
}

// Kong's TAGS_AND_REGEX / TAGS_OR_REGEX (kong/api/endpoints.lua): printable ASCII except `,`
// and `/`, plus anything past ASCII.
const TAG_CHARS = '[\\u0020-\\u002B\\u002D\\u002E\\u0030-\\u007E\\u{80}-\\u{10FFFF}]+';
const TAGS_AND = new RegExp(`^(${TAG_CHARS}(?:,|$))+$`, 'u');
const TAGS_OR = new RegExp(`^(${TAG_CHARS}(?:/|$))+$`, 'u');
const MAX_TAGS = 5;

/**
 * Kong's extract_options: `tags=a,b` wants every tag, `tags=a/b` any of them; a single tag is
 * "every" of one. Mixed separators, control characters or an empty tag are Kong's
 * `invalid option (tags: invalid filter syntax)` (an empty `tags=` is `cannot be null`, in
 * parseListQuery); more than 5 tags are refused as Kong's DAO does.
 */
export function parseTags(raw: string): TagFilter {
  let filter: TagFilter;
  if (TAGS_AND.test(raw)) filter = { all: raw.split(',').filter((t) => t !== '') };
  else if (TAGS_OR.test(raw)) filter = { any: raw.split('/').filter((t) => t !== '') };
  else throw new InvalidOptionsError({ tags: 'invalid filter syntax' });
  if ((filter.all ?? filter.any ?? []).length > MAX_TAGS)
    throw new InvalidOptionsError({ tags: `cannot query more than ${MAX_TAGS} tags` });
  return filter;
}

/** Reads `size`, `offset` and `tags` from a query string; a non-number size is Kong's "invalid size". */
export function parseListQuery(query: unknown): ListQuery {
  const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  const out: { -readonly [K in keyof ListQuery]: ListQuery[K] } = {};
  const size = first(q.size);
  if (size !== undefined) {
    const n = Number(size);
    if (size.trim() === '' || !Number.isFinite(n)) throw new InvalidSizeError('size must be a number');
    out.size = n;
    out.rawSize = size;
  }
  const offset = first(q.offset);
  if (offset !== undefined) out.offset = offset;
  // Kong's extract_options: an empty `tags=` (or a bare `tags`) is refused before its syntax.
  if (q.tags === '') throw new InvalidOptionsError({ tags: 'cannot be null' });
  const tags = first(q.tags);
  if (tags !== undefined) {
    out.tags = parseTags(tags);
    out.rawTags = tags;
  }
  return out;
}

export function toListOptions(query: ListQuery, extra: Partial<ListOptions> = {}): ListOptions {
  const options: { -readonly [K in keyof ListOptions]: ListOptions[K] } = { ...extra };
  if (query.size !== undefined) options.size = query.size;
  if (query.offset !== undefined) options.offset = query.offset;
  if (query.tags !== undefined) options.tags = query.tags;
  return options;
}

/**
 * The response body of a page. Kong repeats `tags` and `size` in `next` for top-level
 * collections only (`repeatQuery`), not for nested ones.
 */
export function pageBody(page: Page, basePath: string, query: ListQuery, repeatQuery: boolean): PageBody {
  if (page.offset === undefined) return { data: page.data, next: null };
  let next = `${basePath}?offset=${encodeURIComponent(page.offset)}`;
  if (repeatQuery) {
    if (query.rawTags !== undefined) next += `&tags=${encodeURIComponent(query.rawTags)}`;
    if (query.rawSize !== undefined) next += `&size=${query.rawSize}`;
  }
  return { data: page.data, offset: page.offset, next };
}
