import { type SchemaOptions, type TLiteral, type TSchema, Type } from '@sinclair/typebox';

/**
 * The vocabulary the schema in schema.ts is written in: one builder per kind of value.
 * Each builder returns a TypeBox schema of the *parsed* value, annotated with how the
 * kong.conf text becomes that value (`x-kind`), the default as it is written in
 * turnpike.conf (`x-default`), the section of turnpike.conf.default, and `x-secret`.
 */

/** How a key's text becomes a value (see coerce.ts). */
export type ValueKind =
  | 'string'
  | 'path'
  | 'boolean'
  | 'integer'
  | 'size'
  | 'enum'
  | 'list'
  | 'listen'
  | 'dsn'
  | 'workers'
  | 'uuid'
  | 'hostport'
  | 'url'
  | 'urlpath'
  | 'csp';

/** Extra checks for each entry of a list key. */
export type ListItemKind = 'ip-or-cidr' | 'ip-with-port' | 'secret-key' | 'url';

export const SECTIONS = {
  general: 'GENERAL',
  hybrid: 'HYBRID MODE',
  listeners: 'LISTENERS',
  admin: 'ADMIN API',
  tls: 'TLS',
  proxy: 'PROXY AND CLIENT REQUESTS',
  upstream: 'UPSTREAM CONNECTIONS',
  datastore: 'DATASTORE',
  dns: 'DNS RESOLVER',
  secrets: 'SECRETS',
  gui: 'ADMIN GUI',
} as const;

export type Section = keyof typeof SECTIONS;

export interface KeyMeta {
  readonly section: Section;
  readonly description: string;
  /** The default exactly as written in turnpike.conf; absent = unset. */
  readonly default?: string;
  /** Never echoed in errors, logs or `GET /`. */
  readonly secret?: boolean;
  /**
   * Set on a Kong key Turnpike accepts (and validates) but that has no effect yet: why. Such a key
   * is left out of turnpike.conf.default, and a value set for it is listed in the warning of
   * ignored keys, never applied silently.
   */
  readonly notImplemented?: string;
}

/** The annotations every property of the config schema carries. */
export interface KeyAnnotations {
  readonly 'x-kind': ValueKind;
  readonly 'x-section': Section;
  readonly 'x-default'?: string;
  readonly 'x-secret': boolean;
  readonly 'x-item'?: ListItemKind;
  readonly 'x-not-implemented'?: string;
  readonly description: string;
}

function annotate(kind: ValueKind, meta: KeyMeta): SchemaOptions & KeyAnnotations {
  const options: SchemaOptions & KeyAnnotations = {
    'x-kind': kind,
    'x-section': meta.section,
    'x-secret': meta.secret === true,
    description: meta.description,
  };
  return {
    ...options,
    ...(meta.default === undefined ? {} : { 'x-default': meta.default }),
    ...(meta.notImplemented === undefined ? {} : { 'x-not-implemented': meta.notImplemented }),
  };
}

export const text = (meta: KeyMeta) => Type.String(annotate('string', meta));

/** A filesystem path, kept as written (relative log paths are relative to the prefix). */
export const path = (meta: KeyMeta) => Type.String(annotate('path', meta));

/** `on`/`off`/`true`/`false`. */
export const flag = (meta: KeyMeta) => Type.Boolean(annotate('boolean', meta));

export const integer = (meta: KeyMeta & { minimum?: number; maximum?: number }) =>
  Type.Integer({
    ...annotate('integer', meta),
    ...(meta.minimum === undefined ? {} : { minimum: meta.minimum }),
    ...(meta.maximum === undefined ? {} : { maximum: meta.maximum }),
  });

/** nginx size syntax (`0`, `512`, `8k`, `1m`, `1g`) parsed to bytes. */
export const size = (meta: KeyMeta) => Type.Integer({ ...annotate('size', meta), minimum: 0 });

// An array of literals typed by their union, so Static<> gives 'a' | 'b' rather than string.
const literals = <const T extends readonly string[]>(values: T): TLiteral<T[number]>[] =>
  values.map((value) => Type.Literal(value)) as TLiteral<T[number]>[];

export const oneOf = <const T extends readonly string[]>(values: T, meta: KeyMeta) =>
  Type.Union(literals(values), annotate('enum', meta));

/** A comma-separated list; `off` alone means an empty list. */
export const list = (meta: KeyMeta, item?: ListItemKind) =>
  Type.Array(Type.String(), { ...annotate('list', meta), ...(item === undefined ? {} : { 'x-item': item }) });

/** A list whose entries come from a fixed set, matched case-insensitively. */
export const listOf = <const T extends readonly string[]>(values: T, meta: KeyMeta) =>
  Type.Array(Type.Union(literals(values)), annotate('list', meta));

export const ListenEntrySchema = Type.Object({
  /** An IP address or host name; IPv6 without brackets (`::1`), as node's `listen()` wants it. */
  host: Type.String(),
  /** 0 asks the OS for a free port (handy in tests). */
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  ssl: Type.Boolean(),
  http2: Type.Boolean(),
  reuseport: Type.Boolean(),
  backlog: Type.Optional(Type.Integer({ minimum: 1 })),
  proxyProtocol: Type.Boolean(),
  /** `udp` (stream_listen only): datagrams for `udp` routes instead of TCP connections. */
  udp: Type.Optional(Type.Boolean()),
});

/** Kong's listen syntax: `<ip>:<port> [ssl] [http2] [udp] [proxy_protocol] [reuseport] [backlog=N], …` or `off`. */
export const listen = (meta: KeyMeta) => Type.Array(ListenEntrySchema, annotate('listen', meta));

/** Ory Kratos style data source name: `memory`, `pglite://<dir>`, `postgres://…`. */
export const dsn = (meta: KeyMeta) => Type.String(annotate('dsn', meta));

/** `auto` or a positive integer. */
export const workers = (meta: KeyMeta) =>
  Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1 })], annotate('workers', meta));

export const uuid = (meta: KeyMeta) =>
  Type.String({
    ...annotate('uuid', meta),
    pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  });

/** `<host>:<port>`, e.g. `cp.example.com:8005` or `[::1]:8005`. */
export const hostPort = (meta: KeyMeta) => Type.String(annotate('hostport', meta));

/** A URL path prefix as Kong's admin_gui_path takes it (`/`, `/manager`, `/a/b-c_d`). */
export const urlPath = (meta: KeyMeta) => Type.String(annotate('urlpath', meta));

/** An http(s) URL, the scheme optional (`host:port` is accepted, as Kong does for admin_gui_api_url). */
export const url = (meta: KeyMeta) => Type.String(annotate('url', meta));

/** A Content-Security-Policy header value (`default-src 'self'; img-src 'self' data:`). */
export const csp = (meta: KeyMeta) => Type.String(annotate('csp', meta));

/** The allowed values of a oneOf schema, or of the entries of a listOf schema. */
export function choicesOf(schema: TSchema): string[] | undefined {
  const union = (schema as { items?: TSchema }).items ?? schema;
  const anyOf = (union as { anyOf?: { const?: unknown }[] }).anyOf;
  return anyOf?.map((member) => String(member.const));
}

/** Reads the annotations back from a property schema built above. */
export function annotationsOf(schema: TSchema): KeyAnnotations {
  return schema as unknown as KeyAnnotations;
}
