/** The router's regex path captures in the shape of Kong's kong.request.get_uri_captures. */
import type { UriCaptures } from '@turnpike/plugin-sdk';
import type { UriCaptures as RouterCaptures } from '../router/index.ts';

const NONE: UriCaptures = Object.freeze({ named: Object.freeze({}), unnamed: Object.freeze([]) });

/** `unnamed` from group 1 on (group 0, the whole match, is not a capture in Kong's sense). */
export function kongCaptures(captures: RouterCaptures | undefined): UriCaptures {
  if (captures === undefined) return NONE;
  const named: Record<string, string> = {};
  const unnamed: string[] = [];
  for (const [key, value] of Object.entries(captures)) {
    if (!/^\d+$/.test(key)) named[key] = value;
    else if (key !== '0') unnamed[Number(key) - 1] = value;
  }
  return { named, unnamed };
}
