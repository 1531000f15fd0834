/**
 * Ready-made field descriptors, Kong's kong/db/schema/typedefs.lua. Each is a function taking
 * overrides (`port({ default: 80 })`), keeping literal types for the derived entity types.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import {
  isIpOrCidr,
  normalizePath,
  validateHost,
  validateHostWithOptionalPort,
  validateSni,
  validateWildcardHost,
} from './net.ts';
import { translatePcre } from './regex.ts';
import type {
  ArrayField,
  BooleanField,
  FieldDescriptor,
  IntegerField,
  MapField,
  RecordField,
  StringField,
} from './types.ts';

/** The descriptor kind a base belongs to, so that overrides may use all of its attributes. */
type KindOf<B> = B extends ArrayField
  ? ArrayField
  : B extends StringField
    ? StringField
    : B extends IntegerField
      ? IntegerField
      : B extends MapField
        ? MapField
        : B extends RecordField
          ? RecordField
          : B extends BooleanField
            ? BooleanField
            : FieldDescriptor;

/** `A` with the keys of `B` replaced: keeps literal types for the derived entity types. */
export type Merge<A, B> = {
  readonly [K in keyof A | keyof B]: K extends keyof B ? B[K] : K extends keyof A ? A[K] : never;
};

interface Typedef<Base> {
  (): Base;
  <const O extends Partial<KindOf<Base>>>(overrides: O): Merge<Base, O>;
}

function define<const Base extends FieldDescriptor>(base: Base): Typedef<Base> {
  return ((overrides?: object) => ({ ...base, ...overrides })) as Typedef<Base>;
}

export const PROTOCOLS = [
  'grpc',
  'grpcs',
  'http',
  'https',
  'tcp',
  'tls',
  'tls_passthrough',
  'udp',
  'ws',
  'wss',
] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Plugins' default protocols, as Kong OSS lists them. */
export const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'] as const;

function validatePath(path: string): { err: string; code: 'rfc3986' | 'percent' } | undefined {
  if (!/^\/[A-Za-z0-9.\-_~/%:@!$&'()*+,;=]*$/.test(path)) {
    return {
      err: `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`,
      code: 'rfc3986',
    };
  }
  const raw = path.replace(/%[0-9a-fA-F]{2}/g, '___');
  const idx = raw.indexOf('%');
  if (idx !== -1) return { err: `invalid url-encoded value: '${raw.slice(idx, idx + 3)}'`, code: 'percent' };
  return undefined;
}

/** Router paths: prefix paths must be normalised; `~` paths must compile as a regex. */
export function validateRouterPath(path: string): string | undefined {
  const checked = validatePath(path);
  if (checked?.code === 'percent') return checked.err;
  if (!path.startsWith('~')) {
    const normalized = normalizePath(path);
    return path === normalized ? undefined : `non-normalized path, consider use '${normalized}' instead`;
  }
  const source = path.slice(1);
  try {
    // Compiled unanchored so that the engine's message quotes the user's pattern.
    new RegExp(translatePcre(source));
    return undefined;
  } catch (err) {
    // Kong names the engine in the message; clients match on the prefix, not the engine's words.
    const reason = err instanceof Error ? err.message : String(err);
    return `invalid regex: '${source}' (PCRE returned: ${reason})`;
  }
}

function validateUtf8Name(name: string): string | undefined {
  if (!/^[A-Za-z0-9.\-_~\u0080-\u{10FFFF}]+$/u.test(name)) {
    return `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`;
  }
  return undefined;
}

function validateTag(tag: string): string | undefined {
  // Printable ASCII except ',' and '/', a space, or any non-ASCII character.
  if (!/^[ !-+\-.0-~\u0080-\u{10FFFF}]+$/u.test(tag)) {
    return `invalid tag '${tag}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`;
  }
  return undefined;
}

export function validateHeaderName(name: string): string | undefined {
  if (/^[a-zA-Z0-9\-_]+$/.test(name)) return undefined;
  return `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

function validateCookieName(name: string): string | undefined {
  if (/^[a-zA-Z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) return undefined;
  return `bad cookie name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

function validateCertificate(cert: string): string | undefined {
  try {
    new X509Certificate(cert);
    return undefined;
  } catch (err) {
    return `invalid certificate: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function validateKey(key: string): string | undefined {
  try {
    createPrivateKey(key);
    return undefined;
  } catch (err) {
    return `invalid key: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function validateIpOrCidr(value: string): string | undefined {
  return isIpOrCidr(value) ? undefined : `invalid ip or cidr range: '${value}'`;
}

const str = (validator: (v: string) => string | undefined) =>
  validator as (value: never) => string | undefined;

export const uuid = define({ type: 'string', uuid: true, auto: true } satisfies StringField);
export const autoTimestampS = define({ type: 'integer', timestamp: true, auto: true } satisfies IntegerField);
export const autoTimestampMs = define({ type: 'number', timestamp: true, auto: true } as const);
export const name = define({
  type: 'string',
  unique: true,
  custom_validator: str(validateUtf8Name),
} satisfies StringField);
/** What a `luaCode` field answers when it is given code: Turnpike runs no Lua. */
export const LUA_REFUSED =
  'Lua code is not run by Turnpike: custom_fields_by_lua must be empty (the log record is sent as serialized)';
/**
 * Kong's typedefs.lua_code (a map of field name → Lua code, the log plugins' custom_fields_by_lua):
 * a non-empty map is refused at validation rather than accepted and ignored; empty or none is fine.
 */
export const luaCode = define({
  type: 'map',
  keys: { type: 'string', len_min: 1 },
  values: { type: 'string', len_min: 1 },
  custom_validator: (value: never) =>
    Object.keys(value as Readonly<Record<string, unknown>>).length > 0 ? LUA_REFUSED : undefined,
} satisfies MapField);
export const protocol = define({ type: 'string', one_of: PROTOCOLS } satisfies StringField);
/** A route's protocols element: Kong's list. */
export const routeProtocol = { type: 'string', one_of: PROTOCOLS } as const satisfies StringField;
export const host = define({ type: 'string', custom_validator: str(validateHost) } satisfies StringField);
export const hostWithOptionalPort = define({
  type: 'string',
  custom_validator: str(validateHostWithOptionalPort),
} satisfies StringField);
export const wildcardHost = define({
  type: 'string',
  custom_validator: str(validateWildcardHost),
} satisfies StringField);
export const sni = define({ type: 'string', custom_validator: str(validateSni) } satisfies StringField);
export const port = define({ type: 'integer', between: [0, 65535] } satisfies IntegerField);
export const path = define({
  type: 'string',
  starts_with: '/',
  match_none: [{ pattern: /\/\//, err: 'must not have empty segments' }],
  custom_validator: str((p) => validatePath(p)?.err),
} satisfies StringField);
export const headerName = define({
  type: 'string',
  custom_validator: str(validateHeaderName),
} satisfies StringField);
export const cookieName = define({
  type: 'string',
  custom_validator: str(validateCookieName),
} satisfies StringField);
export const certificate = define({
  type: 'string',
  custom_validator: str(validateCertificate),
} satisfies StringField);
export const key = define({ type: 'string', custom_validator: str(validateKey) } satisfies StringField);
export const tags = define({
  type: 'set',
  elements: { type: 'string', required: true, custom_validator: str(validateTag) },
} satisfies ArrayField);
export const protocols = define({
  type: 'set',
  required: true,
  default: HTTP_PROTOCOLS,
  elements: { type: 'string', one_of: PROTOCOLS },
} satisfies ArrayField);
export const protocolsHttp = define({
  type: 'set',
  required: true,
  default: HTTP_PROTOCOLS,
  elements: { type: 'string', one_of: HTTP_PROTOCOLS },
} satisfies ArrayField);

const sourceRecord = {
  type: 'record',
  fields: {
    ip: { type: 'string', custom_validator: str(validateIpOrCidr) },
    port: { type: 'integer', between: [0, 65535] },
  },
  entity_checks: [{ at_least_one_of: ['ip', 'port'] }],
} as const satisfies RecordField;

export const sources = define({ type: 'set', elements: sourceRecord } satisfies ArrayField);
export const destinations = define({ type: 'set', elements: sourceRecord } satisfies ArrayField);
export const methods = define({
  type: 'set',
  elements: { type: 'string', match: /^[A-Z]+$/ },
} satisfies ArrayField);
/**
 * Route hosts: Kong's typedefs.hosts, with one deliberate difference. Kong 3.10's patterns
 * (`^%*%.`, `%.%*$`, `^[^*]*$`) accept `*.example.com:8000` but refuse `example.*:8000`, though its
 * routers match both (transform.lua `split_host_port`: "example.*:123 => example.*, 123"; the
 * traditional router's HAS_WILDCARD_HOST_PORT; 08-router_spec routes `route.*:123`). We accept a
 * right wildcard with a port too (`\.\*:\d+$`), so the two wildcards behave alike.
 */
export const hosts = define({
  type: 'array',
  elements: {
    type: 'string',
    match_all: [{ pattern: /^[^*]*\*?[^*]*$/, err: 'invalid wildcard: must have at most one wildcard' }],
    match_any: {
      patterns: [/^\*\./, /\.\*$/, /\.\*:\d+$/, /^[^*]*$/],
      err: 'invalid wildcard: must be placed at leftmost or rightmost label',
    },
    custom_validator: str((h) => validateHostWithOptionalPort(h.replaceAll('*', 'abc'))),
  },
} satisfies ArrayField);
export const routerPaths = define({
  type: 'array',
  elements: {
    type: 'string',
    match_any: { patterns: [/^\//, /^~\//], err: 'should start with: / (fixed path) or ~/ (regex path)' },
    match_none: [{ pattern: /\/\//, err: 'must not have empty segments' }],
    custom_validator: str(validateRouterPath),
  },
} satisfies ArrayField);
export const headers = define({
  type: 'map',
  keys: { type: 'string', custom_validator: str(validateHeaderName) },
  values: { type: 'array', elements: { type: 'string' } },
} satisfies MapField);
export const boolean = define({ type: 'boolean' } satisfies BooleanField);

/** Kong's typedefs.queue (kong/tools/queue_schema.lua): the log plugins' queue parameters. */
export const queue = define({
  type: 'record',
  required: true,
  fields: {
    max_batch_size: { type: 'integer', default: 1, between: [1, 1_000_000] },
    max_coalescing_delay: { type: 'number', default: 1, between: [0, 3600] },
    max_entries: { type: 'integer', default: 10_000, between: [1, 1_000_000] },
    max_bytes: { type: 'integer' },
    max_retry_time: { type: 'number', default: 60 },
    initial_retry_delay: { type: 'number', default: 0.01, between: [0.001, 1_000_000] },
    max_retry_delay: { type: 'number', default: 60, between: [0.001, 1_000_000] },
    concurrency_limit: { type: 'integer', default: 1, one_of: [-1, 1] },
  },
} as const);

/** Kong's typedefs.url for the log and tracing plugins' endpoints: an absolute http(s) URL with a host. */
function httpUrlError(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'missing host in url';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `unsupported scheme '${url.protocol.slice(0, -1)}'`;
  if (url.hostname === '') return 'missing host in url';
  return undefined;
}

export const url = define({ type: 'string', custom_validator: str(httpUrlError) } satisfies StringField);
