/** Kong's targets entity: one `host:port` of an upstream, with a weight. */
import { formatHost, parseHost } from '../net.ts';
import * as t from '../typedefs.ts';
import type { EntityDefinition } from '../types.ts';

/** Kong's targets DAO adds this port to a target given without one. */
export const DEFAULT_TARGET_PORT = 8000;

function validateTarget(target: string): string | undefined {
  if (parseHost(target).ok) return undefined;
  return `Invalid target ('${target}'); not a valid hostname or ip address`;
}

/** `host[:port]` → `host:port`, IPv6 in brackets (Kong's targets DAO format_target). */
export function formatTarget(target: string): string {
  const parsed = parseHost(target);
  return parsed.ok ? formatHost(parsed.value, DEFAULT_TARGET_PORT) : target;
}

export const targets = {
  name: 'targets',
  endpoint: '/targets',
  primary_key: ['id'],
  endpoint_key: 'target',
  cache_key: ['upstream', 'target'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampMs(),
    updated_at: t.autoTimestampMs(),
    upstream: { type: 'foreign', reference: 'upstreams', required: true, on_delete: 'cascade' },
    target: {
      type: 'string',
      required: true,
      custom_validator: validateTarget as (value: never) => string | undefined,
    },
    weight: { type: 'integer', default: 100, between: [0, 65535] },
    tags: t.tags(),
  },
  transformations: [{ input: ['target'], on_write: (e) => ({ target: formatTarget(e.target as string) }) }],
} as const satisfies EntityDefinition;
