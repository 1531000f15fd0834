/**
 * Kong's JavaScript PDK (kong-js-pdk: `kong.request.getHeader(…)`, every call a promise) over the
 * Turnpike context. The supported subset is what the classes below define; any other `kong.*`
 * function answers with a rejected KongPdkUnsupportedError naming it: each namespace's prototype
 * ends in one shared Proxy that turns a missing name into that refusal, so nothing is allocated per
 * request for it. One PDK per request (cached by context), shared by the Kong plugins of the chain.
 */
import { KongPdkUnsupportedError } from '../../../src/errors.ts';
import { parseBodyFields } from '../body.ts';
import type { PluginConsumer, PluginContext, PluginCredential } from '../context.ts';
import { HTTP_ERROR_MESSAGES } from './messages.ts';

const GUIDE = 'see docs/plugins.md, "Kong JavaScript PDK"';

/** A callable that rejects (or, for a deeper name, stands for that name), for `path`. */
function unsupported(path: string): unknown {
  const fn = () =>
    Promise.reject(new KongPdkUnsupportedError(`${path}() is not supported by Turnpike (${GUIDE})`));
  return new Proxy(fn, {
    get: (target, prop) =>
      typeof prop === 'string' && prop !== 'then'
        ? unsupported(`${path}.${prop}`)
        : Reflect.get(target, prop),
  });
}

/** The end of a namespace's prototype chain: any name it lacks is unsupported. */
function unsupportedNamespace(path: string): object {
  return new Proxy(Object.create(null) as object, {
    get: (_target, prop) =>
      typeof prop === 'string' && prop !== 'then' && prop !== 'toJSON'
        ? unsupported(`${path}.${prop}`)
        : undefined,
  });
}

function endIn(cls: { prototype: object }, path: string): void {
  Object.setPrototypeOf(cls.prototype, unsupportedNamespace(path));
}

/** Kong's header names accept `_` for `-` and any case. */
function headerName(name: string): string {
  return String(name).replaceAll('_', '-').toLowerCase();
}

function headerValue(path: string, value: unknown): string {
  if (Array.isArray(value)) {
    throw new KongPdkUnsupportedError(
      `${path}() with several values is not supported by Turnpike (${GUIDE})`,
    );
  }
  return String(value);
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Kong's encode_args: arrays repeat the name, `true` is the bare name. */
function queryString(args: unknown): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item === false || item === undefined || item === null) continue;
      parts.push(
        item === true
          ? encodeURIComponent(k)
          : `${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`,
      );
    }
  }
  return parts.join('&');
}

class RequestPdk {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  async getHeader(name: string): Promise<string | undefined> {
    return this.#ctx.request.header(headerName(name));
  }
  async getHeaders(): Promise<Record<string, string | string[]>> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(this.#ctx.request.headers)) if (v !== undefined) out[k] = v;
    return out;
  }
  async getMethod(): Promise<string> {
    return this.#ctx.request.method;
  }
  async getScheme(): Promise<string> {
    return this.#ctx.request.scheme;
  }
  async getHost(): Promise<string> {
    const host = this.#ctx.request.header('host') ?? '';
    return (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!).toLowerCase();
  }
  async getPath(): Promise<string> {
    return this.#ctx.request.path;
  }
  async getRawPath(): Promise<string> {
    return this.#ctx.request.path;
  }
  async getRawQuery(): Promise<string> {
    return this.#ctx.request.query.toString();
  }
  async getPathWithQuery(): Promise<string> {
    const query = this.#ctx.request.query.toString();
    return query === '' ? this.#ctx.request.path : `${this.#ctx.request.path}?${query}`;
  }
  async getQuery(): Promise<Record<string, string | string[]>> {
    return queryObject(this.#ctx.request.query);
  }
  async getQueryArg(name: string): Promise<string | boolean | undefined> {
    const value = this.#ctx.request.query.get(name);
    // Kong: a bare argument (`?flag`) is true.
    return value === '' ? true : (value ?? undefined);
  }
  async getRawBody(): Promise<string> {
    return (await this.#ctx.request.readBody()).toString('utf8');
  }
  async getBody(): Promise<Record<string, unknown> | undefined> {
    return parseBodyFields(await this.#ctx.request.readBody(), this.#ctx.request.header('content-type'));
  }
}
endIn(RequestPdk, 'kong.request');

class ResponsePdk {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  async getStatus(): Promise<number> {
    return this.#ctx.response.status;
  }
  async getHeader(name: string): Promise<string | undefined> {
    return this.#ctx.response.header(headerName(name));
  }
  async getSource(): Promise<string> {
    return this.#ctx.response.exited ? 'exit' : 'service';
  }
  async setHeader(name: string, value: unknown): Promise<void> {
    this.#ctx.setResponseHeader(name, headerValue('kong.response.setHeader', value));
  }
  async setHeaders(headers: Record<string, unknown>): Promise<void> {
    for (const [name, value] of Object.entries(headers)) {
      this.#ctx.setResponseHeader(name, headerValue('kong.response.setHeaders', value));
    }
  }
  async clearHeader(name: string): Promise<void> {
    this.#ctx.clearResponseHeader(name);
  }
  async exit(status: number, body?: unknown, headers?: Record<string, unknown>): Promise<void> {
    this.#ctx.response.exit(status, body ?? undefined, stringHeaders('kong.response.exit', headers));
  }
  /** Kong's kong.response.error, always as JSON (Kong negotiates the type from Accept). */
  async error(status: number, message?: string, headers?: Record<string, unknown>): Promise<void> {
    const text = message ?? HTTP_ERROR_MESSAGES[status] ?? `The upstream server responded with ${status}`;
    this.#ctx.response.exit(status, { message: text }, stringHeaders('kong.response.error', headers));
  }
}
endIn(ResponsePdk, 'kong.response');

function stringHeaders(path: string, headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name] = headerValue(path, value);
  return out;
}

class ServiceRequestPdk {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  async setHeader(name: string, value: unknown): Promise<void> {
    this.#ctx.setUpstreamHeader(name, headerValue('kong.service.request.setHeader', value));
  }
  async setHeaders(headers: Record<string, unknown>): Promise<void> {
    for (const [name, value] of Object.entries(headers)) {
      this.#ctx.setUpstreamHeader(name, headerValue('kong.service.request.setHeaders', value));
    }
  }
  async clearHeader(name: string): Promise<void> {
    this.#ctx.clearUpstreamHeader(name);
  }
  async setRawQuery(query: string): Promise<void> {
    this.#ctx.setUpstreamQuery(String(query));
  }
  async setQuery(args: Record<string, unknown>): Promise<void> {
    this.#ctx.setUpstreamQuery(queryString(args));
  }
  async setRawBody(body: string | Buffer): Promise<void> {
    this.#ctx.setUpstreamBody(body);
  }
  /** Kong's set_body for JSON and url-encoded forms (the request's type, else `mimetype`). */
  async setBody(args: Record<string, unknown>, mimetype?: string): Promise<void> {
    const type = (mimetype ?? this.#ctx.request.header('content-type') ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (type === 'application/json') {
      this.#ctx.setUpstreamHeader('Content-Type', 'application/json');
      this.#ctx.setUpstreamBody(JSON.stringify(args));
    } else if (type === 'application/x-www-form-urlencoded' || type === '') {
      this.#ctx.setUpstreamHeader('Content-Type', 'application/x-www-form-urlencoded');
      this.#ctx.setUpstreamBody(queryString(args));
    } else {
      throw new KongPdkUnsupportedError(
        `kong.service.request.setBody() for ${type} is not supported by Turnpike (${GUIDE})`,
      );
    }
  }
}
endIn(ServiceRequestPdk, 'kong.service.request');

class ServicePdk {
  readonly request: ServiceRequestPdk;
  constructor(ctx: PluginContext) {
    this.request = new ServiceRequestPdk(ctx);
  }
}
endIn(ServicePdk, 'kong.service');

class ClientPdk {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  /** The client address as Turnpike determines it (after trusted_ips / real_ip_header). */
  async getIp(): Promise<string> {
    return this.#ctx.request.clientIp;
  }
  async getForwardedIp(): Promise<string> {
    return this.#ctx.request.clientIp;
  }
  async getProtocol(): Promise<string> {
    return this.#ctx.request.scheme;
  }
  async getConsumer(): Promise<PluginConsumer | undefined> {
    return this.#ctx.consumer;
  }
  async getCredential(): Promise<PluginCredential | undefined> {
    return this.#ctx.credential;
  }
  async authenticate(consumer: PluginConsumer | null, credential: PluginCredential | null): Promise<void> {
    this.#ctx.authenticate(consumer ?? undefined, credential ?? undefined);
  }
  async loadConsumer(id: string, byUsername?: boolean): Promise<PluginConsumer | undefined> {
    const db = this.#ctx.db;
    return (
      db.get('consumers', id) ?? (byUsername === true ? db.findBy('consumers', 'username', id) : undefined)
    );
  }
}
endIn(ClientPdk, 'kong.client');

class RouterPdk {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  async getRoute(): Promise<unknown> {
    return this.#ctx.route;
  }
  async getService(): Promise<unknown> {
    return this.#ctx.service;
  }
}
endIn(RouterPdk, 'kong.router');

/** Kong's log functions concatenate their arguments; tables print as JSON here. */
function text(args: readonly unknown[]): string {
  return args.map((a) => (typeof a === 'object' && a !== null ? JSON.stringify(a) : String(a))).join('');
}

class LogPdk {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  async alert(...args: unknown[]): Promise<void> {
    this.#ctx.log.error({ kong_level: 'alert' }, text(args));
  }
  async crit(...args: unknown[]): Promise<void> {
    this.#ctx.log.error({ kong_level: 'crit' }, text(args));
  }
  async err(...args: unknown[]): Promise<void> {
    this.#ctx.log.error(text(args));
  }
  async warn(...args: unknown[]): Promise<void> {
    this.#ctx.log.warn(text(args));
  }
  async notice(...args: unknown[]): Promise<void> {
    this.#ctx.log.info({ kong_level: 'notice' }, text(args));
  }
  async info(...args: unknown[]): Promise<void> {
    this.#ctx.log.info(text(args));
  }
  async debug(...args: unknown[]): Promise<void> {
    this.#ctx.log.debug(text(args));
  }
}
endIn(LogPdk, 'kong.log');

class SharedPdk {
  readonly #ctx: PluginContext;
  constructor(ctx: PluginContext) {
    this.#ctx = ctx;
  }
  async get(key: string): Promise<unknown> {
    return this.#ctx.shared.get(key);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.#ctx.shared.set(key, value);
  }
}
endIn(SharedPdk, 'kong.ctx.shared');

class CtxPdk {
  readonly shared: SharedPdk;
  constructor(ctx: PluginContext) {
    this.shared = new SharedPdk(ctx);
  }
}
endIn(CtxPdk, 'kong.ctx');

/** The `kong` object a Kong JS plugin's phase receives. */
export class KongPdk {
  readonly request: RequestPdk;
  readonly response: ResponsePdk;
  readonly service: ServicePdk;
  readonly client: ClientPdk;
  readonly router: RouterPdk;
  readonly log: LogPdk;
  readonly ctx: CtxPdk;
  constructor(ctx: PluginContext) {
    this.request = new RequestPdk(ctx);
    this.response = new ResponsePdk(ctx);
    this.service = new ServicePdk(ctx);
    this.client = new ClientPdk(ctx);
    this.router = new RouterPdk(ctx);
    this.log = new LogPdk(ctx);
    this.ctx = new CtxPdk(ctx);
  }
}
endIn(KongPdk, 'kong');

const pdks = new WeakMap<PluginContext, KongPdk>();

/** The request's PDK: one per context, for every Kong plugin and phase of the request. */
export function kongPdkFor(ctx: PluginContext): KongPdk {
  let pdk = pdks.get(ctx);
  if (pdk === undefined) {
    pdk = new KongPdk(ctx);
    pdks.set(ctx, pdk);
  }
  return pdk;
}
