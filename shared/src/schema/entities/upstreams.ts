/** Kong's upstreams entity: a virtual host name balancing over targets, with health checks. */
import { parseHost } from '../net.ts';
import * as t from '../typedefs.ts';
import type { EntityCheck, EntityDefinition, FieldMap, StringField } from '../types.ts';

const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;

function validateName(name: string): string | undefined {
  const parsed = parseHost(name);
  if (!parsed.ok) return `Invalid name ('${name}'); must be a valid hostname`;
  if (parsed.value.type !== 'name') return `Invalid name ('${name}'); no ip addresses allowed`;
  if (parsed.value.port !== undefined) return `Invalid name ('${name}'); no port allowed`;
  return undefined;
}

const hashOn = { type: 'string', default: 'none', one_of: HASH_ON } as const satisfies StringField;
const simpleParam = { type: 'string', match: /^[a-zA-Z0-9\-_]+$/ } as const satisfies StringField;
const seconds = (d: number) => ({ type: 'number', between: [0, 65535], default: d }) as const;
const positiveIntOrZero = (d: number) => ({ type: 'integer', between: [0, 2 ** 31], default: d }) as const;
const httpStatuses = (d: readonly number[]) =>
  ({ type: 'array', elements: { type: 'integer', between: [100, 999] }, default: d }) as const;
const checkType = {
  type: 'string',
  one_of: ['tcp', 'http', 'https', 'grpc', 'grpcs'],
  default: 'http',
} as const;

const ACTIVE_HEALTHY = [200, 302];
const ACTIVE_UNHEALTHY = [429, 404, 500, 501, 502, 503, 504, 505];
const PASSIVE_HEALTHY = [
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
];
const PASSIVE_UNHEALTHY = [429, 500, 503];

const activeFields = {
  type: checkType,
  timeout: seconds(1),
  concurrency: { type: 'integer', between: [1, 2 ** 31], default: 10 },
  http_path: t.path({ default: '/' }),
  https_sni: t.sni(),
  https_verify_certificate: { type: 'boolean', default: true },
  headers: t.headers(),
  healthy: {
    type: 'record',
    fields: {
      interval: seconds(0),
      http_statuses: httpStatuses(ACTIVE_HEALTHY),
      successes: positiveIntOrZero(0),
    },
    default: { interval: 0, http_statuses: ACTIVE_HEALTHY, successes: 0 },
  },
  unhealthy: {
    type: 'record',
    fields: {
      interval: seconds(0),
      http_statuses: httpStatuses(ACTIVE_UNHEALTHY),
      tcp_failures: positiveIntOrZero(0),
      timeouts: positiveIntOrZero(0),
      http_failures: positiveIntOrZero(0),
    },
    default: { interval: 0, http_statuses: ACTIVE_UNHEALTHY, tcp_failures: 0, timeouts: 0, http_failures: 0 },
  },
} as const satisfies FieldMap;

const passiveFields = {
  type: checkType,
  healthy: {
    type: 'record',
    fields: { http_statuses: httpStatuses(PASSIVE_HEALTHY), successes: positiveIntOrZero(0) },
    default: { http_statuses: PASSIVE_HEALTHY, successes: 0 },
  },
  unhealthy: {
    type: 'record',
    fields: {
      http_statuses: httpStatuses(PASSIVE_UNHEALTHY),
      tcp_failures: positiveIntOrZero(0),
      timeouts: positiveIntOrZero(0),
      http_failures: positiveIntOrZero(0),
    },
    default: { http_statuses: PASSIVE_UNHEALTHY, tcp_failures: 0, timeouts: 0, http_failures: 0 },
  },
} as const satisfies FieldMap;

/** Kong's healthchecks defaults, the value an upstream gets when it sets none. */
export const HEALTHCHECKS_DEFAULTS = {
  active: {
    type: 'http',
    timeout: 1,
    concurrency: 10,
    http_path: '/',
    https_verify_certificate: true,
    healthy: { interval: 0, http_statuses: ACTIVE_HEALTHY, successes: 0 },
    unhealthy: {
      interval: 0,
      http_statuses: ACTIVE_UNHEALTHY,
      tcp_failures: 0,
      timeouts: 0,
      http_failures: 0,
    },
  },
  passive: {
    type: 'http',
    healthy: { http_statuses: PASSIVE_HEALTHY, successes: 0 },
    unhealthy: { http_statuses: PASSIVE_UNHEALTHY, tcp_failures: 0, timeouts: 0, http_failures: 0 },
  },
  threshold: 0,
};

const requiredWhen = (ifField: string, value: string, thenField: string): EntityCheck => ({
  conditional: {
    if_field: ifField,
    if_match: { match: new RegExp(`^${value}$`) },
    then_field: thenField,
    then_match: { required: true },
  },
});

const fallbackOneOf = (hashOnValue: string, allowed: readonly string[]): EntityCheck => ({
  conditional: {
    if_field: 'hash_on',
    if_match: { match: new RegExp(`^${hashOnValue}$`) },
    then_field: 'hash_fallback',
    then_match: { one_of: allowed },
  },
});

export const upstreams = {
  name: 'upstreams',
  endpoint: '/upstreams',
  primary_key: ['id'],
  endpoint_key: 'name',
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    name: {
      type: 'string',
      required: true,
      unique: true,
      custom_validator: validateName as (value: never) => string | undefined,
    },
    algorithm: {
      type: 'string',
      default: 'round-robin',
      one_of: ['consistent-hashing', 'least-connections', 'round-robin', 'latency'],
    },
    hash_on: hashOn,
    hash_fallback: hashOn,
    hash_on_header: t.headerName(),
    hash_fallback_header: t.headerName(),
    hash_on_cookie: t.cookieName(),
    hash_on_cookie_path: t.path({ default: '/' }),
    hash_on_query_arg: simpleParam,
    hash_fallback_query_arg: simpleParam,
    hash_on_uri_capture: simpleParam,
    hash_fallback_uri_capture: simpleParam,
    slots: { type: 'integer', default: 10000, between: [10, 2 ** 16] },
    healthchecks: {
      type: 'record',
      default: HEALTHCHECKS_DEFAULTS,
      fields: {
        active: { type: 'record', fields: activeFields, default: HEALTHCHECKS_DEFAULTS.active },
        passive: { type: 'record', fields: passiveFields, default: HEALTHCHECKS_DEFAULTS.passive },
        threshold: { type: 'number', default: 0, between: [0, 100] },
      },
    },
    tags: t.tags(),
    host_header: t.hostWithOptionalPort(),
    client_certificate: { type: 'foreign', reference: 'certificates' },
    use_srv_name: { type: 'boolean', default: false },
  },
  entity_checks: [
    requiredWhen('hash_on', 'header', 'hash_on_header'),
    requiredWhen('hash_fallback', 'header', 'hash_fallback_header'),
    requiredWhen('hash_on', 'cookie', 'hash_on_cookie'),
    requiredWhen('hash_fallback', 'cookie', 'hash_on_cookie'),
    requiredWhen('hash_on', 'query_arg', 'hash_on_query_arg'),
    requiredWhen('hash_fallback', 'query_arg', 'hash_fallback_query_arg'),
    requiredWhen('hash_on', 'uri_capture', 'hash_on_uri_capture'),
    requiredWhen('hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'),
    fallbackOneOf('none', ['none']),
    fallbackOneOf('cookie', ['none']),
    fallbackOneOf('consumer', ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackOneOf('ip', ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture']),
    fallbackOneOf('path', ['none', 'consumer', 'ip', 'header', 'cookie', 'query_arg', 'uri_capture']),
    { distinct: ['hash_on_header', 'hash_fallback_header'] },
  ],
} as const satisfies EntityDefinition;
