/**
 * `GET /consumers?custom_id=` (Kong's kong/api/routes/consumers.lua): the consumer with that
 * custom_id as a one-entry page (`{ data: [consumer], next: null }`, or `data: []`), other
 * parameters ignored. `?username=` does the same by username: Kong 3.10 OSS ignores it and
 * lists every consumer, which turns a script's "the first one is mine" into the wrong consumer;
 * here it filters as custom_id does (Kong Enterprise filters by username too).
 */
import { AdminRequestError } from '@turnpike/shared';
import type { AdminContext } from '../context.ts';
import type { PageBody } from '../pagination.ts';

const FILTERS = ['custom_id', 'username'] as const;

/** The page a unique filter asks for, or undefined when the query has none. */
export async function consumerFilterPage(ctx: AdminContext, query: unknown): Promise<PageBody | undefined> {
  const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  // Kong looks at custom_id first; so do we.
  const field = FILTERS.find((f) => q[f] !== undefined);
  if (field === undefined) return undefined;
  const value = q[field];
  // A repeated parameter (an array) or `?custom_id` without a value, as Kong refuses them.
  if (typeof value !== 'string' || value === '')
    throw new AdminRequestError(`${field} must be an unempty string`);
  const consumer = await ctx.dao.entity('consumers').getByUnique(field, value);
  return { data: consumer === undefined ? [] : [consumer], next: null };
}
