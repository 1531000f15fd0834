/**
 * The harness's PluginContext: one request over plain objects, keeping the contract of
 * ../handler.ts — values checked when handed over (a PluginValueError, as on a node), response
 * edits made before the response exists replayed in the header phase, `exit` only before it.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { PluginValueError } from '../../../src/errors.ts';
import type { EntityName } from '../../../src/schema/index.ts';
import type {
  EntityLookup,
  PluginConnection,
  PluginConsumer,
  PluginContext,
  PluginCredential,
  PluginRequest,
  PluginResponse,
  PluginRoute,
  PluginService,
  UriCaptures,
} from '../context.ts';
import type { Logger } from '../log.ts';
import type { SerializedRecord } from '../serialize.ts';

const NO_CAPTURES: UriCaptures = Object.freeze({ named: Object.freeze({}), unnamed: Object.freeze([]) });

export type TestEntities = Partial<Record<EntityName, readonly Record<string, unknown>[]>>;

export interface TestRequest {
  readonly method?: string;
  /** Without the query string. */
  readonly path?: string;
  /** Without '?'. */
  readonly query?: string;
  /** Header names in any case; a repeated header as an array. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: string | Buffer;
  readonly scheme?: 'http' | 'https';
  readonly clientIp?: string;
  /** The port the request came in at (default 8000). */
  readonly port?: number;
  readonly uriCaptures?: UriCaptures;
  readonly connection?: PluginConnection;
}

/** A recorded log line: level, message and the fields. */
export interface TestLogLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export function recordingLogger(lines: TestLogLine[]): Logger {
  const at =
    (level: TestLogLine['level']) =>
    (fields: object | string, msg?: string): void => {
      if (typeof fields === 'string') lines.push({ level, msg: fields, fields: {} });
      else lines.push({ level, msg: msg ?? '', fields: { ...fields } });
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
  };
}

/** Lookups by scanning the given lists: fine for a test's handful of entities. */
export function listLookup(entities: TestEntities): EntityLookup {
  const list = (entity: string) =>
    (entities as Record<string, readonly Record<string, unknown>[]>)[entity] ?? [];
  const lookup = {
    get: (entity: string, id: string) => list(entity).find((e) => e.id === id),
    findBy: (entity: string, field: string, value: string) => list(entity).find((e) => e[field] === value),
    listBy: (entity: string, field: string, id: string) =>
      list(entity).filter((e) => (e[field] as { id?: unknown } | null | undefined)?.id === id),
  };
  return lookup as unknown as EntityLookup;
}

function checkName(plugin: string, name: unknown): string {
  try {
    validateHeaderName(name as string);
    return name as string;
  } catch {
    throw new PluginValueError(
      plugin,
      `gave an invalid header name ${JSON.stringify(name)} (not an HTTP token)`,
    );
  }
}

function checkValue(plugin: string, name: string, value: unknown): string {
  const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
  try {
    if (typeof text !== 'string') throw new TypeError();
    validateHeaderValue(name, text);
    return text;
  } catch {
    throw new PluginValueError(plugin, `gave header ${name} an invalid value ${JSON.stringify(value)}`);
  }
}

/** Flat header edits keyed by lowercase name; `undefined` removes. */
export type HeaderEdits = Map<string, { name: string; value: string | undefined }>;

export interface TestExit {
  readonly status: number;
  readonly body: Buffer | undefined;
  readonly headers: Record<string, string>;
}

export interface TestState {
  phase: 'before' | 'header' | 'after';
  status: number;
  exit: TestExit | undefined;
  readonly upstreamHeaders: Map<string, string>;
  upstreamQuery: string;
  upstreamPath: string | undefined;
  upstreamMethod: string | undefined;
  upstreamBody: Buffer | undefined;
  readonly responseHeaders: HeaderEdits;
  /** Set by `exit(status)` in the header phase of a proxied response (no body follows). */
  headerExit?: number;
  /** The upstream's trailers, lowercase names, as `response.trailer` reads them (a test sets them). */
  trailers?: Record<string, string>;
}

export class TestContext implements PluginContext {
  readonly request: PluginRequest;
  readonly response: PluginResponse;
  readonly route: PluginRoute;
  readonly service: PluginService | undefined;
  readonly db: EntityLookup;
  readonly cache = new Map<string, unknown>();
  readonly shared = new Map<string, unknown>();
  readonly log: Logger;
  readonly state: TestState;
  consumer: PluginConsumer | undefined;
  credential: PluginCredential | undefined;
  readonly #plugin: string;
  readonly #path: string;

  constructor(plugin: string, request: TestRequest, entities: TestEntities, log: Logger) {
    this.#plugin = plugin;
    this.log = log;
    this.db = listLookup(entities);
    this.route = { id: '00000000-0000-4000-8000-000000000001', name: 'test-route' };
    this.service = { id: '00000000-0000-4000-8000-000000000002', name: 'test-service' };
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      headers[name.toLowerCase()] = typeof value === 'string' ? value : [...value];
    }
    const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
    const state: TestState = {
      phase: 'before',
      status: 0,
      exit: undefined,
      upstreamHeaders: new Map(
        Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v as string)]),
      ),
      upstreamQuery: request.query ?? '',
      upstreamPath: undefined,
      upstreamMethod: undefined,
      upstreamBody: undefined,
      responseHeaders: new Map(),
    };
    this.state = state;
    const query = new URLSearchParams(request.query ?? '');
    this.request = {
      method: request.method ?? 'GET',
      path: request.path ?? '/',
      scheme: request.scheme ?? 'http',
      headers,
      query,
      target: request.query === undefined ? (request.path ?? '/') : `${request.path ?? '/'}?${request.query}`,
      httpVersion: '1.1',
      clientIp: request.clientIp ?? '127.0.0.1',
      forwardedScheme: request.scheme ?? 'http',
      port: request.port ?? 8000,
      uriCaptures: request.uriCaptures ?? NO_CAPTURES,
      connection: request.connection ?? { serverAddress: '127.0.0.1', serial: 1, requests: 1 },
      header: (name) => {
        const value = headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : value;
      },
      headerCount: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? 0 : Array.isArray(value) ? value.length : 1;
      },
      readBody: async () => {
        state.upstreamBody ??= body;
        return body;
      },
    };
    const exit = (status: number, payload?: unknown, extra?: Readonly<Record<string, string>>) =>
      this.#exit(status, payload, extra);
    this.response = {
      get status() {
        return state.status;
      },
      get exited() {
        return state.exit !== undefined;
      },
      exit,
      header: (name) => state.responseHeaders.get(name.toLowerCase())?.value,
      headers: () => {
        const out: [string, string][] = [];
        for (const { name, value } of state.responseHeaders.values())
          if (value !== undefined) out.push([name, value]);
        return out;
      },
      trailer: (name) => state.trailers?.[name.toLowerCase()],
    };
    this.#path = request.path ?? '/';
  }

  authenticate(consumer: PluginConsumer | undefined, credential: PluginCredential | undefined): void {
    this.consumer = consumer;
    this.credential = credential;
  }
  setUpstreamHeader(name: string, value: string): void {
    const checked = checkName(this.#plugin, name);
    this.state.upstreamHeaders.set(checked.toLowerCase(), checkValue(this.#plugin, checked, value));
  }
  clearUpstreamHeader(name: string): void {
    this.state.upstreamHeaders.delete(checkName(this.#plugin, name).toLowerCase());
  }
  setUpstreamBody(body: Buffer | string): void {
    this.state.upstreamBody = Buffer.from(body);
  }
  setUpstreamQuery(query: URLSearchParams | string): void {
    const text = typeof query === 'string' ? query.replace(/^\?/, '') : query.toString();
    if (/[^\u0021-\u00ff]/.test(text)) {
      throw new PluginValueError(this.#plugin, `gave an invalid query string ${JSON.stringify(text)}`);
    }
    this.state.upstreamQuery = text;
  }
  setUpstreamPath(path: string): void {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new PluginValueError(
        this.#plugin,
        `gave the path ${JSON.stringify(path)}, expected a string starting with /`,
      );
    }
    this.state.upstreamPath = path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (c) =>
      encodeURIComponent(c),
    );
  }
  get upstreamPath(): string {
    return this.state.upstreamPath ?? this.#path;
  }
  setUpstreamMethod(method: string): void {
    if (typeof method !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(method)) {
      throw new PluginValueError(
        this.#plugin,
        `gave the method ${JSON.stringify(method)}, expected an HTTP token`,
      );
    }
    this.state.upstreamMethod = method.toUpperCase();
  }
  setResponseHeader(name: string, value: string): void {
    const checked = checkName(this.#plugin, name);
    if (checked.toLowerCase() === 'transfer-encoding') return;
    this.state.responseHeaders.set(checked.toLowerCase(), {
      name: checked,
      value: checkValue(this.#plugin, checked, value),
    });
  }
  clearResponseHeader(name: string): void {
    const checked = checkName(this.#plugin, name);
    this.state.responseHeaders.set(checked.toLowerCase(), { name: checked, value: undefined });
  }

  /** The log record of the test request: no upstream call, so no upstream fields or latencies. */
  serialize(): SerializedRecord {
    if (this.state.phase !== 'after') {
      throw new PluginValueError(this.#plugin, 'called serialize() outside the log phase');
    }
    const req = this.request;
    const query = req.query.toString();
    const uri = query === '' ? req.path : `${req.path}?${query}`;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      headers[name] = name === 'authorization' || name === 'proxy-authorization' ? 'REDACTED' : value;
    }
    const querystring: Record<string, string> = {};
    for (const [key, value] of req.query) querystring[key] = value;
    return {
      request: {
        id: '',
        uri,
        url: `${req.scheme}://localhost${uri}`,
        querystring,
        method: req.method,
        headers,
        size: 0,
      },
      upstream_uri: '',
      upstream_status: '',
      response: { status: this.state.status, headers: {}, size: 0 },
      latencies: { kong: 0, proxy: -1, request: 0, receive: 0 },
      route: this.route,
      ...(this.service === undefined ? {} : { service: this.service }),
      ...(this.consumer === undefined ? {} : { consumer: this.consumer }),
      client_ip: req.clientIp,
      started_at: Date.now(),
      source: 'kong',
      workspace_name: 'default',
    };
  }

  #exit(status: number, body: unknown, headers: Readonly<Record<string, string>> | undefined): void {
    const proxied = this.state.exit === undefined;
    if (this.state.phase === 'header' && proxied && body == null && headers === undefined) {
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        throw new PluginValueError(
          this.#plugin,
          `gave the status ${JSON.stringify(status)}, expected 100 to 599`,
        );
      }
      this.state.headerExit = status;
      return;
    }
    if (this.state.phase !== 'before') {
      this.log.warn({ plugin: this.#plugin }, 'response.exit called after the access phase: ignored');
      return;
    }
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new PluginValueError(
        this.#plugin,
        `gave the status ${JSON.stringify(status)}, expected 100 to 599`,
      );
    }
    const out: Record<string, string> = {};
    let bytes: Buffer | undefined;
    if (Buffer.isBuffer(body)) bytes = body;
    else if (typeof body === 'string') {
      bytes = Buffer.from(body);
      out['content-type'] = 'text/plain; charset=utf-8';
    } else if (body !== undefined && body !== null) {
      bytes = Buffer.from(JSON.stringify(body));
      out['content-type'] = 'application/json; charset=utf-8';
    }
    for (const [name, value] of Object.entries(headers ?? {})) {
      const checked = checkName(this.#plugin, name);
      out[checked.toLowerCase()] = checkValue(this.#plugin, checked, value);
    }
    this.state.exit = { status, body: bytes, headers: out };
  }
}
