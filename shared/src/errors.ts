/**
 * The one error catalogue. Every error Turnpike raises on purpose is a TurnpikeError with a
 * stable `code` (never reused) listed in ERROR_CATALOGUE with what it means and how to fix it.
 *
 * Errors are branded with Symbol.for so that `instanceof` holds across two copies of this
 * module (a custom plugin bundling its own @turnpike/shared), as undici does.
 */
import { byteOrder, schemaViolationMessage } from './kong-error-text.ts';
import { luaPretty } from './lua-pretty.ts';

const kTurnpikeError = Symbol.for('turnpike.error');
const kCode = Symbol.for('turnpike.error.code');
/** On each instance: the codes of its class and every catalogued class above it. */
const kLineage = Symbol.for('turnpike.error.lineage');

export interface CatalogueEntry {
  /** What happened, in one line. */
  readonly meaning: string;
  /** What the user can do about it. */
  readonly fix: string;
}

export const ERROR_CATALOGUE = {
  TP_CONFIG_INVALID: {
    meaning: 'a configuration value is invalid; the message names the key, the value and where it came from',
    fix: 'correct the value in turnpike.conf or the TURNPIKE_<KEY> environment variable named in the message',
  },
  TP_CONFIG_FILE: {
    meaning: 'the configuration file could not be read or parsed',
    fix: 'check the path given with -c and the line named in the message',
  },
  TP_CLI_USAGE: {
    meaning: 'a command was called with wrong arguments',
    fix: 'run the command with --help',
  },
  TP_NOT_RUNNING: {
    meaning: 'no Turnpike process is running in the prefix (no pid file, or a stale one)',
    fix: 'start Turnpike first, or pass the same -p/--prefix (or config) that it was started with',
  },
  TP_ALREADY_RUNNING: {
    meaning: 'a Turnpike process already runs in this prefix',
    fix: 'stop it first (turnpike stop), or use another prefix',
  },
  TP_RELOAD_REFUSED: {
    meaning:
      'the running node refused the configuration a reload (SIGHUP) asked it to read; it keeps the running one',
    fix: 'correct what the message names (turnpike check validates a configuration first), then reload again',
  },
  TP_RELOAD_UNREPORTED: {
    meaning: 'the running node did not report the outcome of a reload (SIGHUP) in time',
    fix: "read the node's log: the reload may still be under way, or the process may not be Turnpike",
  },
  TP_DATABASE: {
    meaning: 'the datastore failed or is unreachable',
    fix: 'check the dsn / pg_* settings and that PostgreSQL is up',
  },
  TP_DATABASE_UNAVAILABLE: {
    meaning:
      'the database cannot be reached right now (connection refused, lost or timed out, server shutting down); the control plane keeps running and answers 503 until it is back',
    fix: 'start PostgreSQL or restore the network path to it; nothing to do on Turnpike: it reconnects by itself',
  },
  TP_MIGRATIONS: {
    meaning: 'the database schema is missing or out of date',
    fix: 'run turnpike migrations bootstrap (new database) or turnpike migrations up',
  },
  TP_SYNC_PAYLOAD: {
    meaning: 'a sync snapshot payload could not be encoded within cluster_max_payload, or decoded',
    fix: 'raise cluster_max_payload on both planes, or check that both run the same Turnpike version',
  },
  TP_SYNC_HASH_MISMATCH: {
    meaning:
      'a configuration a data plane received, or applied, does not hash to what the control plane announced',
    fix: 'nothing: the control plane sends a whole snapshot next; if it persists, run the same Turnpike version on both planes',
  },
  TP_SYNC_DELTA_BASE: {
    meaning: 'a delta does not build on the configuration version the data plane holds',
    fix: 'nothing: the data plane reconnects and asks for a whole snapshot',
  },
  TP_SYNC_ACK_TIMEOUT: {
    meaning: 'a data plane answered a configuration with neither Ack nor Nack in time',
    fix: 'nothing at first: the control plane closes the stream and the data plane reconnects; if it repeats, read the data plane log',
  },
  TP_CONFIG_REJECTED: {
    meaning: 'a data plane could not apply a configuration, for a reason without a code of its own',
    fix: 'read the message (shown as last_error in /clustering/data-planes) and the data plane log',
  },
  TP_CONFIG_CACHE: {
    meaning:
      "a data plane's config cache file is unreadable or corrupt; it starts empty and waits for the control plane",
    fix: 'nothing to do if the control plane is reachable; otherwise restore the file or remove it',
  },
  TP_SYNCED_ENTITY: {
    meaning:
      'a data plane refused a configuration version: one of its entities is not shaped as this data plane reads it (planes of different versions, or corruption)',
    fix: 'run the same Turnpike version on the control plane and its data planes; the message names the entity type, id and field',
  },
  TP_WORKER: {
    meaning: 'a proxy worker failed to start, refused a configuration, or died while applying one',
    fix: "read the worker's log lines (field worker) for the cause",
  },
  TP_SCHEMA_VIOLATION: {
    meaning: 'an entity failed validation against its schema (Kong code 2)',
    fix: 'read the fields object: it names each invalid field and why',
  },
  TP_INVALID_PRIMARY_KEY: {
    meaning: 'an id is not a valid UUID (Kong code 1)',
    fix: 'pass a UUID or a name',
  },
  TP_PRIMARY_KEY_VIOLATION: {
    meaning: 'an entity with this id exists (Kong code 3)',
    fix: 'use another id, or PUT',
  },
  TP_FOREIGN_KEY_VIOLATION: {
    meaning: 'a referenced entity does not exist, or others still reference it (Kong code 4)',
    fix: 'create the referenced entity first, or delete the referencing ones',
  },
  TP_FOREIGN_KEYS_UNRESOLVED: {
    meaning:
      'a foreign key given by a unique field (`service: {name: …}`, `consumer: {username: …}`) names no entity (Kong code 13)',
    fix: 'create the referenced entity first, or name it by its id or another unique field that exists',
  },
  TP_UNIQUE_VIOLATION: {
    meaning: 'a unique field already holds this value (Kong code 5)',
    fix: 'use another value, or update the existing entity',
  },
  TP_NOT_FOUND: { meaning: 'no such entity (Kong code 6)', fix: 'check the id or name' },
  TP_INVALID_OFFSET: {
    meaning: 'a pagination offset is not valid (Kong code 7)',
    fix: 'use the next link as given',
  },
  TP_INVALID_SIZE: { meaning: 'a page size is out of range (Kong code 9)', fix: 'use a size from 1 to 1000' },
  TP_INVALID_UNIQUE: {
    meaning:
      'a path segment naming an entity by a unique field (name, username, tag) is not a value that field can hold (Kong code 10)',
    fix: 'pass a valid UTF-8 value without NUL bytes, or the UUID',
  },
  TP_INVALID_OPTIONS: {
    meaning: 'a query parameter (tags, offset, size…) is malformed (Kong code 11)',
    fix: 'read the options object: it names each parameter and why',
  },
  TP_ADMIN_REQUEST: {
    meaning:
      'the Admin API refuses a request parameter outside any entity schema, with Kong\'s bare `{"message"}` body (`custom_id must be an unempty string`)',
    fix: 'correct the parameter the message names',
  },
  TP_OPERATION_UNSUPPORTED: {
    meaning:
      "an entity write reached a DB-less node (`database = off`): its configuration is the declarative file only (Kong code 12, `cannot create 'routes' entities when not using a database`)",
    fix: 'send the whole configuration to POST /config, or run the node with a database',
  },
  TP_DECLARATIVE_CONFIG: {
    meaning: 'a declarative configuration file is invalid (Kong code 14)',
    fix: 'read the fields object: it names the entity path of each error',
  },
  TP_PLUGIN_VALUE: {
    meaning:
      'a plugin passed the SDK a value no HTTP message may carry: a status outside 100–599, a header name that is not a token, a header value or query string with CR, LF, NUL or another control character',
    fix: "fix the plugin named in the message; the request it was handling got Kong's 500",
  },
  TP_PLUGIN_EXIT: {
    meaning: 'a plugin tried to end the worker process (process.exit, process.abort, process.kill of itself)',
    fix: 'fix the plugin named in the message: a plugin ends its request (ctx.response.exit), never the process',
  },
  TP_PLUGIN_CONFIGURE: {
    meaning:
      "a plugin's configure(config) hook threw (or returned a promise) when the data plane compiled one of its instances: every request that instance applies to gets Kong's 500",
    fix: 'fix the plugin named in the message, or the instance config it refused (the log line names the instance id)',
  },
  TP_RAW_RESPONSE_VALUE: {
    meaning:
      'a status, reason phrase, header name or value meant for a response written straight to a socket (WebSocket handshakes) could not go into one',
    fix: "nothing to do for the client (it got Kong's 500); report it: the value's origin (plugin or upstream) is in the log line",
  },
  TP_REQUEST_BODY_BUFFER: {
    meaning: 'a request body larger than client_body_buffer_size could not be written to its temp file',
    fix: "check free space and permissions of the prefix's client_body_temp folder, or raise client_body_buffer_size",
  },
  TP_CLUSTER_CERTIFICATE: {
    meaning:
      "the control plane's certificate is not the shared cluster certificate this data plane has (cluster_mtls = shared)",
    fix: 'give both planes the same cluster_cert and cluster_cert_key (turnpike hybrid gen_cert makes them), or use cluster_mtls = pki',
  },
  TP_BODY_TOO_LARGE: {
    meaning:
      'a streamed request body of unknown length (chunked) passed client_max_body_size on its way upstream; the client got 413 and the upstream an unfinished body',
    fix: 'send a smaller body, or raise client_max_body_size',
  },
  TP_UPSTREAM_WRITE_TIMEOUT: {
    meaning:
      "the upstream read none of a request body for longer than the service's write_timeout; the client got 504",
    fix: "check the upstream (it is stuck or overloaded), or raise the service's write_timeout",
  },
  CERT_CHAIN_TOO_LONG: {
    meaning:
      "an upstream's certificate chain has more intermediate CAs than the service's tls_verify_depth allows; the connection was refused. Not TP_-prefixed: it stands for OpenSSL's own verify error of that name (Node cannot set the depth, so Turnpike checks it after OpenSSL) and is logged beside the others",
    fix: "raise the service's tls_verify_depth, or have the upstream send a shorter chain",
  },
  TP_PROBE_TIMEOUT: {
    meaning:
      "an active health check probe got no answer within the upstream's healthchecks.active.timeout; it counts as a timeout",
    fix: 'check the target, or raise healthchecks.active.timeout',
  },
  TP_REQUEST_ABANDONED: {
    meaning:
      "the proxy stopped an upstream request itself: its client left, its streamed body ended early, or the proxy answered the client in the upstream's place",
    fix: 'nothing: this is the reason given to the upstream request, seen only in traces of that request',
  },
  TP_INTERNAL: {
    meaning: 'a condition Turnpike rules out was met: a bug, named in the message',
    fix: 'report it with the log line; the request or command it happened in failed',
  },
  TP_REQUEST_BODY: {
    meaning:
      'an Admin API request body could not be read: a malformed multipart/form-data body (400), or one larger than the body limit (413)',
    fix: 'send a well-formed body, e.g. curl -F config=@kong.yml',
  },
  TP_KONG_PDK_UNSUPPORTED: {
    meaning:
      "a plugin written for Kong's JavaScript PDK called a PDK function (or used a phase) Turnpike does not provide",
    fix: 'use a function of the supported subset (docs/plugins.md, "Kong JavaScript PDK"), or port that part to the Turnpike SDK',
  },
  TP_PLUGIN_SET_INCOMPATIBLE: {
    meaning:
      'the configuration uses a plugin this data plane does not have: it keeps serving its last good configuration and reports not ready',
    fix: 'install the plugin on the data plane (plugin_paths or node_modules, and plugins = bundled,<name>) and restart it, or remove the plugin from the configuration',
  },
  TP_PLUGIN_PACKAGE: {
    meaning:
      'a plugin folder, tarball or npm package cannot be packed or installed: no manifest, a file whose sha256 differs from the manifest, an SDK range this node does not satisfy',
    fix: "repack the plugin with `turnpike plugin pack`, or install a version written for this node's plugin SDK",
  },
  TP_PLUGIN_SIGNATURE: {
    meaning: 'a plugin tarball has no signature, or its signature does not verify with the given public key',
    fix: 'check that the tarball is the one that was signed and that --verify-key is the public half of the signing key',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export abstract class TurnpikeError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, kTurnpikeError, { value: true });
    const lineage: string[] = [];
    for (let c: object | null = new.target; c !== null && c !== TurnpikeError; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, kCode)) lineage.push((c as { [kCode]: string })[kCode]);
    }
    Object.defineProperty(this, kLineage, { value: lineage });
  }

  /** Identity by brand, so instanceof survives a second copy of this module. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof was asked about
    return hasBrand(this, value);
  }
}

function hasBrand(cls: object, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || !(kTurnpikeError in value)) return false;
  if (Object.hasOwn(cls, kCode)) {
    const code = (cls as { [kCode]: string })[kCode];
    // A subclass (DatabaseUnavailableError of DatabaseError) carries its parents' codes too.
    const lineage = (value as { [kLineage]?: unknown })[kLineage];
    if (Array.isArray(lineage)) return lineage.includes(code);
    return (value as { code?: unknown }).code === code;
  }
  if (cls === TurnpikeError) return true;
  if (cls === KongError) return typeof (value as { kongCode?: unknown }).kongCode === 'number';
  return Function.prototype[Symbol.hasInstance].call(cls, value);
}

/** A key, the bad value (never a secret's), and where it came from: `turnpike.conf:12` or `TURNPIKE_PG_PORT`. */
export interface ConfigProblem {
  readonly key: string;
  readonly source: string;
  readonly message: string;
}

export class ConfigInvalidError extends TurnpikeError {
  static readonly [kCode] = 'TP_CONFIG_INVALID';
  readonly code = 'TP_CONFIG_INVALID';
  override readonly name = 'ConfigInvalidError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.key} (from ${p.source}): ${p.message}`).join('\n'));
    this.problems = problems;
  }
}

export class ConfigFileError extends TurnpikeError {
  static readonly [kCode] = 'TP_CONFIG_FILE';
  readonly code = 'TP_CONFIG_FILE';
  override readonly name = 'ConfigFileError';
}

export class UsageError extends TurnpikeError {
  static readonly [kCode] = 'TP_CLI_USAGE';
  readonly code = 'TP_CLI_USAGE';
  override readonly name = 'UsageError';
}

export class NotRunningError extends TurnpikeError {
  static readonly [kCode] = 'TP_NOT_RUNNING';
  readonly code = 'TP_NOT_RUNNING';
  override readonly name = 'NotRunningError';
}

export class AlreadyRunningError extends TurnpikeError {
  static readonly [kCode] = 'TP_ALREADY_RUNNING';
  readonly code = 'TP_ALREADY_RUNNING';
  override readonly name = 'AlreadyRunningError';
}

/** The running node refused the configuration a reload asked it to read (see TP_RELOAD_REFUSED). */
export class ReloadRefusedError extends TurnpikeError {
  static readonly [kCode] = 'TP_RELOAD_REFUSED';
  readonly code = 'TP_RELOAD_REFUSED';
  override readonly name = 'ReloadRefusedError';
}

export class ReloadUnreportedError extends TurnpikeError {
  static readonly [kCode] = 'TP_RELOAD_UNREPORTED';
  readonly code = 'TP_RELOAD_UNREPORTED';
  override readonly name = 'ReloadUnreportedError';
}

export class DatabaseError extends TurnpikeError {
  static readonly [kCode]: ErrorCode = 'TP_DATABASE';
  readonly code: 'TP_DATABASE' | 'TP_DATABASE_UNAVAILABLE' = 'TP_DATABASE';
  override readonly name: string = 'DatabaseError';
}

/**
 * The database is out of reach (not: it refused a statement). Still a DatabaseError; the Admin
 * API answers it with 503 and Retry-After instead of Kong's opaque 500.
 */
export class DatabaseUnavailableError extends DatabaseError {
  static override readonly [kCode] = 'TP_DATABASE_UNAVAILABLE';
  override readonly code = 'TP_DATABASE_UNAVAILABLE';
  override readonly name = 'DatabaseUnavailableError';
}

export class MigrationsError extends TurnpikeError {
  static readonly [kCode] = 'TP_MIGRATIONS';
  readonly code = 'TP_MIGRATIONS';
  override readonly name = 'MigrationsError';
}

export class SyncPayloadError extends TurnpikeError {
  static readonly [kCode] = 'TP_SYNC_PAYLOAD';
  readonly code = 'TP_SYNC_PAYLOAD';
  override readonly name = 'SyncPayloadError';
}

export class SyncHashMismatchError extends TurnpikeError {
  static readonly [kCode] = 'TP_SYNC_HASH_MISMATCH';
  readonly code = 'TP_SYNC_HASH_MISMATCH';
  override readonly name = 'SyncHashMismatchError';
}

export class SyncDeltaBaseError extends TurnpikeError {
  static readonly [kCode] = 'TP_SYNC_DELTA_BASE';
  readonly code = 'TP_SYNC_DELTA_BASE';
  override readonly name = 'SyncDeltaBaseError';
}

export class SyncAckTimeoutError extends TurnpikeError {
  static readonly [kCode] = 'TP_SYNC_ACK_TIMEOUT';
  readonly code = 'TP_SYNC_ACK_TIMEOUT';
  override readonly name = 'SyncAckTimeoutError';
}

export class ConfigRejectedError extends TurnpikeError {
  static readonly [kCode] = 'TP_CONFIG_REJECTED';
  readonly code = 'TP_CONFIG_REJECTED';
  override readonly name = 'ConfigRejectedError';
}

export class ConfigCacheError extends TurnpikeError {
  static readonly [kCode] = 'TP_CONFIG_CACHE';
  readonly code = 'TP_CONFIG_CACHE';
  override readonly name = 'ConfigCacheError';
  readonly path: string;

  constructor(path: string, reason: string) {
    super(`config cache file ${path} is unusable: ${reason}`);
    this.path = path;
  }
}

/** A synced entity failed the data plane's shape check; the version is Nacked and the previous one kept. */
export class SyncedEntityError extends TurnpikeError {
  static readonly [kCode] = 'TP_SYNCED_ENTITY';
  readonly code = 'TP_SYNCED_ENTITY';
  override readonly name = 'SyncedEntityError';
  readonly entity: string;
  readonly id: string | undefined;
  /** The field path (`paths[0]`, `healthchecks.active.timeout`); empty for the entity itself. */
  readonly field: string;

  constructor(entity: string, id: string | undefined, field: string, reason: string) {
    super(`${entity}${id === undefined ? '' : ` ${id}`}${field === '' ? '' : ` field ${field}`}: ${reason}`);
    this.entity = entity;
    this.id = id;
    this.field = field;
  }
}

/** A request body that cannot be read; the Admin API answers with `statusCode` (400, or 413 when too large). */
export class RequestBodyError extends TurnpikeError {
  static readonly [kCode] = 'TP_REQUEST_BODY';
  readonly code = 'TP_REQUEST_BODY';
  override readonly name = 'RequestBodyError';
  readonly statusCode: 400 | 413;

  constructor(message: string, statusCode: 400 | 413 = 400) {
    super(message);
    this.statusCode = statusCode;
  }
}

export class WorkerError extends TurnpikeError {
  static readonly [kCode] = 'TP_WORKER';
  readonly code = 'TP_WORKER';
  override readonly name = 'WorkerError';
}

/** A plugin handed the SDK a value that cannot go into an HTTP message (see TP_PLUGIN_VALUE). */
export class PluginValueError extends TurnpikeError {
  static readonly [kCode] = 'TP_PLUGIN_VALUE';
  readonly code = 'TP_PLUGIN_VALUE';
  override readonly name = 'PluginValueError';
  readonly plugin: string;

  constructor(plugin: string, problem: string) {
    super(`plugin '${plugin}' ${problem}`);
    this.plugin = plugin;
  }
}

/** A plugin called process.exit (or abort, or kill on its own process): refused, see TP_PLUGIN_EXIT. */
export class PluginExitError extends TurnpikeError {
  static readonly [kCode] = 'TP_PLUGIN_EXIT';
  readonly code = 'TP_PLUGIN_EXIT';
  override readonly name = 'PluginExitError';
  readonly plugin: string;

  constructor(plugin: string, call: string) {
    super(`plugin '${plugin}' called ${call}: refused, the worker keeps running`);
    this.plugin = plugin;
  }
}

/** A plugin's configure hook failed for one instance (see TP_PLUGIN_CONFIGURE). */
export class PluginConfigureError extends TurnpikeError {
  static readonly [kCode] = 'TP_PLUGIN_CONFIGURE';
  readonly code = 'TP_PLUGIN_CONFIGURE';
  override readonly name = 'PluginConfigureError';
  readonly plugin: string;
  readonly instance: string;

  constructor(plugin: string, instance: string, problem: string, options?: ErrorOptions) {
    super(`plugin '${plugin}' could not configure instance ${instance}: ${problem}`, options);
    this.plugin = plugin;
    this.instance = instance;
  }
}

export class RawResponseValueError extends TurnpikeError {
  static readonly [kCode] = 'TP_RAW_RESPONSE_VALUE';
  readonly code = 'TP_RAW_RESPONSE_VALUE';
  override readonly name = 'RawResponseValueError';
}

export class RequestBodyBufferError extends TurnpikeError {
  static readonly [kCode] = 'TP_REQUEST_BODY_BUFFER';
  readonly code = 'TP_REQUEST_BODY_BUFFER';
  override readonly name = 'RequestBodyBufferError';
}

/** The control plane did not present the shared cluster certificate (see TP_CLUSTER_CERTIFICATE). */
export class ClusterCertificateError extends TurnpikeError {
  static readonly [kCode] = 'TP_CLUSTER_CERTIFICATE';
  readonly code = 'TP_CLUSTER_CERTIFICATE';
  override readonly name = 'ClusterCertificateError';
}

/** Raised inside a streamed request body when client_max_body_size is passed mid-stream. */
export class BodyTooLargeError extends TurnpikeError {
  static readonly [kCode] = 'TP_BODY_TOO_LARGE';
  readonly code = 'TP_BODY_TOO_LARGE';
  override readonly name = 'BodyTooLargeError';
}

/** The upstream stopped reading the request body for longer than the service's write_timeout. */
export class UpstreamWriteTimeoutError extends TurnpikeError {
  static readonly [kCode] = 'TP_UPSTREAM_WRITE_TIMEOUT';
  readonly code = 'TP_UPSTREAM_WRITE_TIMEOUT';
  override readonly name = 'UpstreamWriteTimeoutError';
}

/** An upstream certificate chain deeper than tls_verify_depth; its code is OpenSSL's name for it. */
export class ChainTooLongError extends TurnpikeError {
  static readonly [kCode] = 'CERT_CHAIN_TOO_LONG';
  readonly code = 'CERT_CHAIN_TOO_LONG';
  override readonly name = 'ChainTooLongError';

  constructor(intermediates: number, depth: number) {
    super(`certificate chain too long: ${intermediates} intermediate CAs, tls_verify_depth is ${depth}`);
  }
}

/** An active health check probe outlived healthchecks.active.timeout. */
export class ProbeTimeoutError extends TurnpikeError {
  static readonly [kCode] = 'TP_PROBE_TIMEOUT';
  readonly code = 'TP_PROBE_TIMEOUT';
  override readonly name = 'ProbeTimeoutError';
}

/** The reason the proxy gives an upstream request it stops itself (see TP_REQUEST_ABANDONED). */
export class RequestAbandonedError extends TurnpikeError {
  static readonly [kCode] = 'TP_REQUEST_ABANDONED';
  readonly code = 'TP_REQUEST_ABANDONED';
  override readonly name = 'RequestAbandonedError';
}

/** A condition the code rules out was met: a bug (see TP_INTERNAL). */
export class InternalError extends TurnpikeError {
  static readonly [kCode] = 'TP_INTERNAL';
  readonly code = 'TP_INTERNAL';
  override readonly name = 'InternalError';
}

/** Per-field messages in Kong's shape: nested objects for records, arrays for array items. */
export type FieldErrors = { [field: string]: string | FieldErrors | (string | FieldErrors | null)[] };

/**
 * Kong's database errors (kong/db/errors.lua): the Admin API renders them as
 * `{ message, name, code, fields? }` with Kong's numeric code.
 */
export abstract class KongError extends TurnpikeError {
  abstract readonly kongCode: number;
  abstract readonly kongName: string;
  abstract readonly status: number;
  readonly fields: FieldErrors | undefined;

  constructor(message: string, fields?: FieldErrors) {
    super(message);
    this.fields = fields;
  }

  /** The Admin API's JSON body, exactly as Kong sends it. */
  toJSON(): { message: string; name: string; code: number; fields?: FieldErrors } {
    const body: { message: string; name: string; code: number; fields?: FieldErrors } = {
      message: this.message,
      name: this.kongName,
      code: this.kongCode,
    };
    if (this.fields !== undefined) body.fields = this.fields;
    return body;
  }
}

/**
 * Every field error on one line, its path dotted (`healthchecks.active.timeout: msg`,
 * `paths.2: msg`): for logs and NACK reasons. Kong's own message is schemaViolationMessage's.
 */
export function describeFields(fields: FieldErrors, prefix = ''): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'string') parts.push(`${path}: ${value}`);
    else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item === null) return;
        if (typeof item === 'string') parts.push(`${path}.${i + 1}: ${item}`);
        else parts.push(describeFields(item, `${path}.${i + 1}`));
      });
    } else parts.push(describeFields(value, path));
  }
  return parts.join('; ');
}

export class SchemaViolationError extends KongError {
  static readonly [kCode] = 'TP_SCHEMA_VIOLATION';
  readonly code = 'TP_SCHEMA_VIOLATION';
  override readonly name = 'SchemaViolationError';
  readonly kongCode = 2;
  readonly kongName = 'schema violation';
  readonly status = 400;

  /** `summary` replaces Kong's list of the fields in the message (a data plane's NACK reason). */
  constructor(fields: FieldErrors, summary?: string) {
    super(summary === undefined ? schemaViolationMessage(fields) : `schema violation (${summary})`, fields);
  }
}

export class InvalidPrimaryKeyError extends KongError {
  static readonly [kCode] = 'TP_INVALID_PRIMARY_KEY';
  readonly code = 'TP_INVALID_PRIMARY_KEY';
  override readonly name = 'InvalidPrimaryKeyError';
  readonly kongCode = 1;
  readonly kongName = 'invalid primary key';
  readonly status = 400;
}

export class PrimaryKeyViolationError extends KongError {
  static readonly [kCode] = 'TP_PRIMARY_KEY_VIOLATION';
  readonly code = 'TP_PRIMARY_KEY_VIOLATION';
  override readonly name = 'PrimaryKeyViolationError';
  readonly kongCode = 3;
  readonly kongName = 'primary key violation';
  readonly status = 409;
}

export class ForeignKeyViolationError extends KongError {
  static readonly [kCode] = 'TP_FOREIGN_KEY_VIOLATION';
  readonly code = 'TP_FOREIGN_KEY_VIOLATION';
  override readonly name = 'ForeignKeyViolationError';
  readonly kongCode = 4;
  readonly kongName = 'foreign key violation';
  readonly status = 400;
}

/** One foreign key that could not be resolved: the unique field tried, its value and the parent entity. */
export interface UnresolvedKey {
  readonly value: unknown;
  readonly parent: string;
}

/**
 * Kong's foreign_keys_unresolved (code 13): a foreign key given by a unique field rather than
 * the primary key, and no entity has that value. `fields` holds Kong's sentence per key.
 */
export class ForeignKeysUnresolvedError extends KongError {
  static readonly [kCode] = 'TP_FOREIGN_KEYS_UNRESOLVED';
  readonly code = 'TP_FOREIGN_KEYS_UNRESOLVED';
  override readonly name = 'ForeignKeysUnresolvedError';
  readonly kongCode = 13;
  readonly kongName = 'foreign keys unresolved';
  readonly status = 400;

  /** `unresolved`: per foreign field, per unique field tried (`{ service: { name: {…} } }`). */
  constructor(unresolved: Readonly<Record<string, Readonly<Record<string, UnresolvedKey>>>>) {
    const fields: Record<string, Record<string, string>> = {};
    const parts: string[] = [];
    for (const field of Object.keys(unresolved).sort(byteOrder)) {
      const keys = unresolved[field]!;
      fields[field] = {};
      for (const key of Object.keys(keys).sort(byteOrder)) {
        const { value, parent } = keys[key]!;
        const sentence = `the foreign key cannot be resolved with '${luaPretty({ [key]: value })}' for an existing '${parent}' entity`;
        fields[field][key] = sentence;
        parts.push(`${field}.${key}: ${sentence}`);
      }
    }
    super(
      parts.length === 1
        ? `foreign key unresolved (${parts[0]})`
        : `${parts.length} foreign keys unresolved (${parts.join('; ')})`,
      fields,
    );
  }
}

export class UniqueViolationError extends KongError {
  static readonly [kCode] = 'TP_UNIQUE_VIOLATION';
  readonly code = 'TP_UNIQUE_VIOLATION';
  override readonly name = 'UniqueViolationError';
  readonly kongCode = 5;
  readonly kongName = 'unique constraint violation';
  readonly status = 409;
}

export class NotFoundError extends KongError {
  static readonly [kCode] = 'TP_NOT_FOUND';
  readonly code = 'TP_NOT_FOUND';
  override readonly name = 'NotFoundError';
  readonly kongCode = 6;
  readonly kongName = 'not found';
  readonly status = 404;
}

export class InvalidOffsetError extends KongError {
  static readonly [kCode] = 'TP_INVALID_OFFSET';
  readonly code = 'TP_INVALID_OFFSET';
  override readonly name = 'InvalidOffsetError';
  readonly kongCode = 7;
  readonly kongName = 'invalid offset';
  readonly status = 400;
}

export class InvalidSizeError extends KongError {
  static readonly [kCode] = 'TP_INVALID_SIZE';
  readonly code = 'TP_INVALID_SIZE';
  override readonly name = 'InvalidSizeError';
  readonly kongCode = 9;
  readonly kongName = 'invalid size';
  readonly status = 400;
}

/**
 * Kong's `invalid unique <field>` (code 10): the DAO was asked for an entity by a unique field
 * whose value that field can never hold. The message is the field's validation error alone.
 */
export class InvalidUniqueError extends KongError {
  static readonly [kCode] = 'TP_INVALID_UNIQUE';
  readonly code = 'TP_INVALID_UNIQUE';
  override readonly name = 'InvalidUniqueError';
  readonly kongCode = 10;
  readonly kongName: string;
  readonly status = 400;

  constructor(field: string, message: string) {
    super(message);
    this.kongName = `invalid unique ${field}`;
  }
}

/**
 * Kong's `invalid options` (code 11): `invalid option (tags: …)`, or `N option violations (…)`;
 * Kong puts the per-option messages under `options`, not `fields`.
 */
export class InvalidOptionsError extends KongError {
  static readonly [kCode] = 'TP_INVALID_OPTIONS';
  readonly code = 'TP_INVALID_OPTIONS';
  override readonly name = 'InvalidOptionsError';
  readonly kongCode = 11;
  readonly kongName = 'invalid options';
  readonly status = 400;
  readonly options: Readonly<Record<string, string>>;

  constructor(options: Readonly<Record<string, string>>) {
    const parts = Object.keys(options)
      .sort()
      .map((key) => `${key}: ${options[key]}`);
    super(
      parts.length === 1
        ? `invalid option (${parts[0]})`
        : `${parts.length} option violations (${parts.join('; ')})`,
    );
    this.options = options;
  }

  override toJSON(): { message: string; name: string; code: number; options: Record<string, string> } {
    return { message: this.message, name: this.kongName, code: this.kongCode, options: { ...this.options } };
  }
}

/**
 * Kong's `operation unsupported` (code 12, 405): the off strategy's answer to an entity write
 * (kong/db/strategies/off/init.lua): `cannot <create|update|create or update|remove> '<entity>'
 * entities when not using a database`.
 */
export class OperationUnsupportedError extends KongError {
  static readonly [kCode] = 'TP_OPERATION_UNSUPPORTED';
  readonly code = 'TP_OPERATION_UNSUPPORTED';
  override readonly name = 'OperationUnsupportedError';
  readonly kongCode = 12;
  readonly kongName = 'operation unsupported';
  readonly status = 405;
}

/**
 * A request the Admin API refuses where Kong answers a bare `{ "message" }` (no name or code),
 * such as an empty `?custom_id=`. The Admin API's error handler renders it.
 */
export class AdminRequestError extends TurnpikeError {
  static readonly [kCode] = 'TP_ADMIN_REQUEST';
  readonly code = 'TP_ADMIN_REQUEST';
  override readonly name = 'AdminRequestError';
  readonly status: number;

  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

export class DeclarativeConfigError extends KongError {
  static readonly [kCode] = 'TP_DECLARATIVE_CONFIG';
  readonly code = 'TP_DECLARATIVE_CONFIG';
  override readonly name = 'DeclarativeConfigError';
  readonly kongCode = 14;
  readonly kongName = 'invalid declarative configuration';
  readonly status = 400;

  constructor(fields: FieldErrors) {
    super(`declarative config is invalid: ${luaPretty(fields)}`, fields);
  }
}

/** A Kong-JS-PDK plugin reached past the supported subset (see TP_KONG_PDK_UNSUPPORTED). */
export class KongPdkUnsupportedError extends TurnpikeError {
  static readonly [kCode] = 'TP_KONG_PDK_UNSUPPORTED';
  readonly code = 'TP_KONG_PDK_UNSUPPORTED';
  override readonly name = 'KongPdkUnsupportedError';
}

/** A data plane lacks plugins the configuration uses (see TP_PLUGIN_SET_INCOMPATIBLE). */
export class PluginSetIncompatibleError extends TurnpikeError {
  static readonly [kCode] = 'TP_PLUGIN_SET_INCOMPATIBLE';
  readonly code = 'TP_PLUGIN_SET_INCOMPATIBLE';
  override readonly name = 'PluginSetIncompatibleError';
  readonly missing: readonly string[];

  constructor(missing: readonly string[], message: string) {
    super(message);
    this.missing = missing;
  }
}

/** A plugin package cannot be packed or installed (see TP_PLUGIN_PACKAGE). */
export class PluginPackageError extends TurnpikeError {
  static readonly [kCode] = 'TP_PLUGIN_PACKAGE';
  readonly code = 'TP_PLUGIN_PACKAGE';
  override readonly name = 'PluginPackageError';
}

/** A plugin tarball's signature is missing or does not verify (see TP_PLUGIN_SIGNATURE). */
export class PluginSignatureError extends TurnpikeError {
  static readonly [kCode] = 'TP_PLUGIN_SIGNATURE';
  readonly code = 'TP_PLUGIN_SIGNATURE';
  override readonly name = 'PluginSignatureError';
}

/** Normalises anything thrown into an Error with context, for logging at a boundary. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `non-error thrown: ${String(thrown)}`);
}
