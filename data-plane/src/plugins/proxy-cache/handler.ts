/**
 * proxy-cache (Kong 3.10 kong/plugins/proxy-cache/handler.lua), memory strategy, priority 100.
 *
 * - access: a request Kong would not cache (method not in `request_method`; with
 *   `cache_control`, `no-store` / `no-cache`) gets `X-Cache-Status: Bypass`. Otherwise its key
 *   (cache-key.ts) goes out as `X-Cache-Key`; a fresh entry is answered from the store
 *   (`X-Cache-Status: Hit`, `Age`), a stale one (older than `cache_ttl`, or failing the client's
 *   `max-age` / `max-stale` / `min-fresh` with `cache_control`) is `Refresh`, none is `Miss`
 *   (with `cache_control` and `only-if-cached`: 504, RFC 7234 5.2.1.7).
 * - header: a Miss/Refresh response whose status is in `response_code`, whose Content-Type
 *   matches one of `content_type` exactly (parameters included) and, with `cache_control`, that
 *   is not `private` / `no-store` / `no-cache` and has a TTL above 0, is kept; any other becomes
 *   `Bypass`.
 * - body: the kept response's body is collected and stored at its end, for `storage_ttl`, else
 *   (with `cache_control`) its Cache-Control TTL, else `cache_ttl`.
 *
 * `response_headers` chooses which of Age, X-Cache-Status and X-Cache-Key are sent; a request with
 * a `Kong-Debug` header gets them all, as in Kong. Hop-by-hop headers, Content-Length and
 * *ratelimit-remaining* headers of a cached response are not replayed.
 */
import { definePluginHandler, type PluginContext, type PluginHandler } from '@turnpike/plugin-sdk';
import {
  contentTypeMatches,
  type Directives,
  type MediaType,
  parseDirectives,
  parseMediaType,
  resourceTtl,
} from './cache-control.ts';
import { type Args, buildCacheKey, headersKey, keyUri, paramsKey } from './cache-key.ts';
import type { ProxyCacheConfig } from './schema.ts';
import { CACHE_VERSION, type CachedResponse, entryDocument, MemoryStores } from './store.ts';

const STATE = 'proxy-cache';
/** What logging plugins read, as Kong's kong.ctx.shared.proxy_cache_hit. */
export const PROXY_CACHE_HIT = 'proxy_cache_hit';

interface State {
  readonly key: string;
  readonly reqBody: string | null;
  headers?: Record<string, string | string[]>;
  ttl?: number;
  chunks?: Buffer[];
  size?: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

function overwritable(name: string): boolean {
  const lower = name.toLowerCase();
  return !HOP_BY_HOP.has(lower) && !lower.includes('ratelimit-remaining');
}

/** Per config: the expected content types, parsed once. */
const expectedTypes = new WeakMap<object, readonly MediaType[]>();
function contentTypesOf(conf: ProxyCacheConfig): readonly MediaType[] {
  let types = expectedTypes.get(conf);
  if (types === undefined) {
    types = (conf.content_type ?? []).map(parseMediaType).filter((t): t is MediaType => t !== undefined);
    expectedTypes.set(conf, types);
  }
  return types;
}

function shows(ctx: PluginContext, conf: ProxyCacheConfig, header: 'age' | 'X-Cache-Status' | 'X-Cache-Key') {
  return ctx.request.header('kong-debug') !== undefined || conf.response_headers?.[header] === true;
}

function setDiagnostic(
  ctx: PluginContext,
  conf: ProxyCacheConfig,
  header: 'X-Cache-Status' | 'X-Cache-Key',
  value: string,
) {
  if (shows(ctx, conf, header)) ctx.setResponseHeader(header, value);
}

function queryArgs(query: URLSearchParams): Args {
  const out = new Map<string, string | string[]>();
  for (const [name, value] of query) {
    const prev = out.get(name);
    if (prev === undefined) out.set(name, value);
    else out.set(name, typeof prev === 'string' ? [prev, value] : [...prev, value]);
  }
  return out;
}

/** The vary headers by their configured names, found case-insensitively (Kong's get_headers). */
function headerArgs(ctx: PluginContext, vary: readonly string[]): Args {
  const out = new Map<string, string>();
  for (const name of vary) {
    const value = ctx.request.header(name.toLowerCase().replaceAll('_', '-'));
    if (value !== undefined) out.set(name, value);
  }
  return out;
}

/** The request's cache key, as Kong builds it. */
export function cacheKeyOf(ctx: PluginContext, conf: ProxyCacheConfig): string {
  const method = ctx.request.method;
  const query = ctx.request.query;
  let uri = keyUri(method, ctx.request.target, ctx.request.httpVersion);
  if (conf.ignore_uri_case) uri = uri.toLowerCase();
  const vary = conf.vary_headers ?? [];
  return buildCacheKey(
    ctx.consumer?.id,
    ctx.route.id,
    method,
    uri,
    paramsKey(queryArgs(query), conf.vary_query_params),
    headersKey(headerArgs(ctx, vary), vary),
  );
}

function hasBody(ctx: PluginContext): boolean {
  const length = ctx.request.header('content-length');
  return (length !== undefined && length !== '0') || ctx.request.header('transfer-encoding') !== undefined;
}

export interface ProxyCacheOptions {
  readonly stores?: MemoryStores;
  /** Seconds since the epoch. */
  readonly now?: () => number;
}

/** This process's stores, shared by every proxy-cache instance (and the purge messages). */
export const processStores = new MemoryStores();

export function createProxyCacheHandler(options: ProxyCacheOptions = {}): PluginHandler {
  const stores = options.stores ?? processStores;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));

  const signal = async (ctx: PluginContext, conf: ProxyCacheConfig, key: string, status: string) => {
    const reqBody = hasBody(ctx) ? (await ctx.request.readBody()).toString('utf8') : null;
    ctx.shared.set(STATE, { key, reqBody } satisfies State);
    setDiagnostic(ctx, conf, 'X-Cache-Status', status);
  };

  const stale = (conf: ProxyCacheConfig, cc: Directives, entry: CachedResponse, nowS: number) => {
    const age = nowS - entry.timestamp;
    if (!conf.cache_control) return age > (conf.cache_ttl ?? 300);
    const maxAge = cc.get('max-age');
    if (typeof maxAge === 'number' && age > maxAge) return true;
    const maxStale = cc.get('max-stale');
    if (typeof maxStale === 'number' && age - entry.ttl > maxStale) return true;
    const minFresh = cc.get('min-fresh');
    return typeof minFresh === 'number' && entry.ttl - age < minFresh;
  };

  return definePluginHandler<ProxyCacheConfig>({
    name: 'proxy-cache',
    version: '3.10.0',
    priority: 100,
    sdkVersion: '1.0.0',

    // The node's Admin API (/proxy-cache endpoints) reads and purges this worker's stores.
    nodeAdmin: (op) => nodeAdmin(stores, op),

    access(ctx, conf) {
      const cc = conf.cache_control ? parseDirectives(ctx.request.header('cache-control')) : undefined;
      const methods = conf.request_method as readonly string[];
      if (
        !methods.includes(ctx.request.method) ||
        (cc !== undefined && (cc.has('no-store') || cc.has('no-cache')))
      ) {
        setDiagnostic(ctx, conf, 'X-Cache-Status', 'Bypass');
        return undefined;
      }
      const key = cacheKeyOf(ctx, conf);
      setDiagnostic(ctx, conf, 'X-Cache-Key', key);
      const store = stores.get(conf.memory.dictionary_name);
      const entry = store.fetch(key);
      if (entry === undefined) {
        if (cc?.has('only-if-cached') === true) {
          ctx.response.exit(504);
          return undefined;
        }
        return signal(ctx, conf, key, 'Miss');
      }
      if (entry.version !== CACHE_VERSION) {
        store.purge(key);
        return signal(ctx, conf, key, 'Bypass');
      }
      const nowS = now();
      if (stale(conf, cc ?? new Map(), entry, nowS)) return signal(ctx, conf, key, 'Refresh');

      ctx.shared.set(PROXY_CACHE_HIT, { res: entry, req: { body: entry.req_body } });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(entry.headers)) {
        const lower = name.toLowerCase();
        if (!overwritable(name) || lower === 'age' || lower === 'x-cache-status' || lower === 'x-cache-key')
          continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      if (shows(ctx, conf, 'age')) headers.Age = String(Math.floor(nowS - entry.timestamp));
      if (shows(ctx, conf, 'X-Cache-Status')) headers['X-Cache-Status'] = 'Hit';
      if (shows(ctx, conf, 'X-Cache-Key')) headers['X-Cache-Key'] = key;
      ctx.response.exit(entry.status, entry.body, headers);
      return undefined;
    },

    header(ctx, conf) {
      const state = ctx.shared.get(STATE) as State | undefined;
      if (state === undefined) return;
      if (ctx.response.exited || !cacheable(ctx, conf)) {
        setDiagnostic(ctx, conf, 'X-Cache-Status', 'Bypass');
        ctx.shared.delete(STATE);
        return;
      }
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of ctx.response.headers()) {
        const prev = headers[name];
        headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      state.headers = headers;
      state.ttl = conf.cache_control
        ? resourceTtl(
            parseDirectives(ctx.response.header('cache-control')),
            ctx.response.header('expires'),
            now(),
          )
        : (conf.cache_ttl ?? 300);
      state.chunks = [];
      state.size = 0;
    },

    body(ctx, conf, chunk, eof) {
      const state = ctx.shared.get(STATE) as State | undefined;
      if (state?.chunks === undefined) return chunk;
      if (chunk.length > 0) {
        state.size = (state.size ?? 0) + chunk.length;
        // Larger than a whole store: it could not be kept; stop collecting.
        if (state.size > stores.get(conf.memory.dictionary_name).maxBytes) {
          ctx.shared.delete(STATE);
          return chunk;
        }
        state.chunks.push(chunk);
      }
      if (eof) {
        ctx.shared.delete(STATE);
        const body = Buffer.concat(state.chunks);
        const ttl = state.ttl ?? 0;
        const entry: CachedResponse = {
          status: ctx.response.status,
          headers: state.headers ?? {},
          body,
          body_len: body.length,
          timestamp: now(),
          ttl,
          version: CACHE_VERSION,
          req_body: state.reqBody,
        };
        const storageTtl = conf.storage_ttl ?? (conf.cache_control ? ttl : (conf.cache_ttl ?? 300));
        stores.get(conf.memory.dictionary_name).store(state.key, entry, storageTtl);
      }
      return chunk;
    },
  });

  function cacheable(ctx: PluginContext, conf: ProxyCacheConfig): boolean {
    if (!(conf.response_code as readonly number[]).includes(ctx.response.status)) return false;
    const contentType = ctx.response.header('content-type');
    if (contentType === undefined || contentType === '') return false;
    const actual = parseMediaType(contentType);
    if (actual === undefined) return false;
    if (!contentTypesOf(conf).some((expected) => contentTypeMatches(actual, expected))) return false;
    if (!conf.cache_control) return true;
    const cc = parseDirectives(ctx.response.header('cache-control'));
    if (cc.has('private') || cc.has('no-store') || cc.has('no-cache')) return false;
    return resourceTtl(cc, ctx.response.header('expires'), now()) > 0;
  }
}

/**
 * The /proxy-cache Admin endpoints' operations on this worker's stores: `fetch` (the entry as
 * Kong shows it, or null), `purge` (whether there was one), `flush` (the named dictionaries).
 */
export function nodeAdmin(stores: MemoryStores, op: unknown): unknown {
  const {
    op: kind,
    dictionary,
    dictionaries,
    key,
  } = (op ?? {}) as {
    op?: unknown;
    dictionary?: unknown;
    dictionaries?: unknown;
    key?: unknown;
  };
  if (kind === 'flush') {
    for (const name of Array.isArray(dictionaries) ? dictionaries : []) {
      if (typeof name === 'string') stores.existing(name)?.flush();
    }
    return true;
  }
  if (typeof dictionary !== 'string' || typeof key !== 'string')
    throw new TypeError('dictionary and key expected');
  const store = stores.existing(dictionary);
  if (kind === 'fetch') {
    const entry = store?.fetch(key);
    return entry === undefined ? null : entryDocument(entry);
  }
  if (kind === 'purge') return store?.purge(key) ?? false;
  throw new TypeError(`unknown proxy-cache admin operation ${String(kind)}`);
}

export const handler = createProxyCacheHandler();
