/**
 * One request through a compiled chain: the PluginRun the proxy drives. Plugins never see it:
 * they get its frozen RequestContext (./context.ts). Rewrite and access run synchronously for as
 * long as the phases do — a chain of synchronous plugins completes inside `beforeProxy` without a
 * promise — and continue asynchronously from the first phase that returns one. The contract each
 * phase keeps is written in shared/plugin-sdk/src/handler.ts.
 */

import type { ServerResponse } from 'node:http';
import type {
  EntityLookup,
  Logger,
  PhaseFunction,
  PluginConfig,
  PluginConsumer,
  PluginCredential,
  SerializedRecord,
  SyncPhaseFunction,
} from '@turnpike/plugin-sdk';
import { PluginValueError, toError } from '@turnpike/shared';
import type { ChainExit, ChainRequest, PluginRun } from '../runtime/plugin-chain.ts';
import type { ChainEntry, CompiledChain } from './chain.ts';
import { RequestContext } from './context.ts';
import { findHeader, removeHeader, setHeader } from './headers.ts';
import type { CompiledInstance } from './instance.ts';
import { runInPlugin } from './plugin-scope.ts';
import {
  checkHeaderName,
  checkHeaderValue,
  checkMethod,
  checkPath,
  checkQuery,
  checkStatus,
} from './plugin-values.ts';
import { serializeRequest } from './serialize.ts';

export type { CompiledInstance } from './instance.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
/** Kong's JSON 500 (kong/tools/http.lua ERROR_TEMPLATES) for a plugin that threw, with the request's id. */
function unexpected(requestId: string): Buffer {
  return Buffer.from(`{\n  "message":"An unexpected error occurred",\n  "request_id":"${requestId}"\n}`);
}
export const kRun = Symbol('turnpike.plugin-run');
export type ResponseWithRun = ServerResponse & { [kRun]?: RequestRun };

export function onResponseClose(this: ResponseWithRun): void {
  this[kRun]?.runLog();
}

type AnyPhase = PhaseFunction<PluginConfig> | SyncPhaseFunction<PluginConfig>;

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

export class RequestRun implements PluginRun {
  readonly #chain: CompiledChain;
  readonly #request: ChainRequest;
  readonly #context: RequestContext;
  readonly db: EntityLookup;
  /** The instance each entry runs with, resolved in access (consumer known by then). */
  readonly #configs: (CompiledInstance | undefined)[];
  #current: ChainEntry;
  #instance: CompiledInstance | undefined;
  #shared: Map<string, unknown> | undefined;
  #query: URLSearchParams | undefined;
  #body: Promise<Buffer> | undefined;
  consumer: PluginConsumer | undefined;
  credential: PluginCredential | undefined;
  #exit: ChainExit | undefined;
  #phase: 'before' | 'header' | 'after' = 'before';
  #status = 0;
  #headerExit: number | undefined;
  /** Response header edits made before the response exists, replayed in the header phase. */
  #pendingResponse: [string, string | undefined][] | undefined;
  #liveResponse: string[] | undefined;
  /** The response headers as the header phase left them (the log serializer's). */
  #sentHeaders: string[] | undefined;
  #upstreamQuery: string;
  #upstreamPath: string | undefined;
  #upstreamMethod: string | undefined;
  #upstreamBody: Buffer | undefined;
  #logged = false;
  #record: SerializedRecord | undefined;
  #phaseFailed = false;
  /** The upstream's trailers, handed to the body phase's last call. */
  #trailers: Readonly<Record<string, unknown>> | undefined;

  constructor(chain: CompiledChain, request: ChainRequest) {
    this.#chain = chain;
    this.#request = request;
    this.db = request.db;
    this.#configs = new Array(chain.entries.length);
    this.#current = chain.entries[0]!;
    this.#upstreamQuery = request.query;
    this.#context = new RequestContext(this, request);
  }

  // What the context reads and does for the plugin being called.

  get cache(): Map<string, unknown> {
    return this.#instance!.cache;
  }
  get log(): Logger {
    return this.#current.log;
  }
  get shared(): Map<string, unknown> {
    this.#shared ??= new Map();
    return this.#shared;
  }
  receivedQuery(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.#request.query);
    return this.#query;
  }
  readBody(): Promise<Buffer> {
    this.#body ??= this.#read();
    return this.#body;
  }
  async #read(): Promise<Buffer> {
    const source = this.#request.body;
    let body: Buffer;
    // A buffered body is already whole (in memory, or a stream over its temp file).
    if (Buffer.isBuffer(source)) body = source;
    else {
      const chunks: Buffer[] = [];
      if (source !== null) for await (const chunk of source) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
    }
    this.useUpstreamBody(body);
    return body;
  }
  authenticate(consumer: PluginConsumer | undefined, credential: PluginCredential | undefined): void {
    this.consumer = consumer;
    this.credential = credential;
  }
  setUpstreamHeader(name: string, value: string): void {
    const plugin = this.#current.name;
    const checked = checkHeaderName(plugin, name);
    setHeader(this.#request.upstreamHeaders, checked, checkHeaderValue(plugin, checked, value));
  }
  clearUpstreamHeader(name: string): void {
    removeHeader(this.#request.upstreamHeaders, checkHeaderName(this.#current.name, name));
  }
  setUpstreamQuery(query: URLSearchParams | string): void {
    // URLSearchParams encodes; a raw string goes into the request line as given, so it is checked.
    this.#upstreamQuery =
      typeof query === 'string' ? checkQuery(this.#current.name, query.replace(/^\?/, '')) : query.toString();
  }
  setUpstreamPath(path: string): void {
    this.#upstreamPath = checkPath(this.#current.name, path);
  }
  setUpstreamMethod(method: string): void {
    this.#upstreamMethod = checkMethod(this.#current.name, method);
  }
  setResponseHeader(name: string, value: string): void {
    const plugin = this.#current.name;
    const checked = checkHeaderName(plugin, name);
    const text = checkHeaderValue(plugin, checked, value);
    // The response's framing is the proxy's, as Kong's kong.response.set_header ignores it too.
    if (checked.toLowerCase() === 'transfer-encoding') {
      this.#current.log.warn({ plugin }, 'setting Transfer-Encoding on the response: ignored');
      return;
    }
    if (this.#liveResponse !== undefined) setHeader(this.#liveResponse, checked, text);
    else this.#pending().push([checked, text]);
  }
  /** Kong's kong.log.serialize(): the log phase only, built once. */
  serialize(): SerializedRecord {
    if (this.#phase !== 'after' || !this.#logged) {
      throw new PluginValueError(this.#current.name, 'called serialize() outside the log phase');
    }
    this.#record ??= serializeRequest(
      this.#request,
      this.consumer,
      this.credential,
      this.#exit !== undefined,
      this.#sentHeaders ?? [],
    );
    return this.#record;
  }
  clearResponseHeader(name: string): void {
    const checked = checkHeaderName(this.#current.name, name);
    if (this.#liveResponse !== undefined) removeHeader(this.#liveResponse, checked);
    else this.#pending().push([checked, undefined]);
  }

  #pending(): [string, string | undefined][] {
    this.#pendingResponse ??= [];
    return this.#pendingResponse;
  }

  get status(): number {
    return this.#phase === 'after' ? this.#request.res.statusCode : this.#status;
  }
  responseHeader(name: string): string | undefined {
    if (this.#liveResponse !== undefined) return findHeader(this.#liveResponse, name);
    const lower = name.toLowerCase();
    let value: string | undefined;
    for (const [n, v] of this.#pendingResponse ?? []) if (n.toLowerCase() === lower) value = v;
    return value;
  }
  responseHeaders(): [string, string][] {
    const out: [string, string][] = [];
    const live = this.#liveResponse;
    if (live !== undefined) {
      for (let i = 0; i < live.length; i += 2) out.push([live[i]!, live[i + 1]!]);
      return out;
    }
    for (const [n, v] of this.#pendingResponse ?? []) {
      const lower = n.toLowerCase();
      const at = out.findIndex(([m]) => m.toLowerCase() === lower);
      if (at !== -1) out.splice(at, 1);
      if (v !== undefined) out.push([n, v]);
    }
    return out;
  }
  responseTrailer(name: string): string | undefined {
    const value = this.#trailers?.[name.toLowerCase()];
    if (value === undefined || value === null) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }
  /** What the service will get as its path: a plugin's, else the route's upstream path. */
  get plannedUpstreamPath(): string {
    return this.#upstreamPath ?? this.#request.match.upstreamPath ?? this.#request.path;
  }
  useUpstreamBody(body: Buffer): void {
    this.#upstreamBody = body;
    const headers = this.#request.upstreamHeaders;
    removeHeader(headers, 'transfer-encoding');
    setHeader(headers, 'Content-Length', String(body.length));
  }
  exitWith(status: number, body: unknown, headers: Readonly<Record<string, string>> | undefined): void {
    if (this.#phase === 'header' && this.#exit === undefined && body == null && headers === undefined) {
      // Kong's exit in header_filter: the proxied response becomes `status`, without a body.
      checkStatus(this.#current.name, status);
      this.#headerExit = status;
      return;
    }
    if (this.#phase !== 'before') {
      this.#current.log.warn(
        { plugin: this.#current.name },
        'response.exit called after the access phase: ignored',
      );
      return;
    }
    const plugin = this.#current.name;
    checkStatus(plugin, status);
    let bytes: Buffer | undefined;
    const out: string[] = [];
    if (body === undefined || body === null) bytes = undefined;
    else if (Buffer.isBuffer(body)) bytes = body;
    else if (typeof body === 'string') {
      bytes = Buffer.from(body);
      out.push('Content-Type', TEXT_TYPE);
    } else {
      bytes = Buffer.from(JSON.stringify(body));
      out.push('Content-Type', JSON_TYPE);
    }
    for (const [name, value] of Object.entries(headers ?? {})) {
      const checked = checkHeaderName(plugin, name);
      setHeader(out, checked, checkHeaderValue(plugin, checked, value));
    }
    this.#exit = { status, body: bytes, headers: out };
  }

  // PluginRun

  get exit(): ChainExit | undefined {
    return this.#exit;
  }
  get upstreamQuery(): string {
    return this.#upstreamQuery;
  }
  get upstreamBody(): Buffer | undefined {
    return this.#upstreamBody;
  }
  get upstreamPath(): string | undefined {
    return this.#upstreamPath;
  }
  get upstreamMethod(): string | undefined {
    return this.#upstreamMethod;
  }
  get consumerId(): string | undefined {
    // kong/runloop/balancer/init.lua get_value_to_hash: the consumer, else the credential.
    return this.consumer?.id ?? this.credential?.id;
  }
  get transformsBody(): boolean {
    return this.#chain.hasBody;
  }
  /** True once a header or body phase threw: the proxy then answers 500, or closes the connection. */
  get failed(): boolean {
    return this.#phaseFailed;
  }
  get headerExitStatus(): number | undefined {
    return this.#headerExit;
  }

  #resolve(entry: ChainEntry): CompiledInstance | undefined {
    let instance = entry.base;
    const consumer = this.consumer;
    if (entry.byConsumer !== undefined && consumer !== undefined) {
      instance = entry.byConsumer.get(consumer.id) ?? instance;
    }
    if (instance === undefined) return undefined;
    return (this.#request.scheme === 'https' ? instance.https : instance.http) ? instance : undefined;
  }

  #failed(entry: ChainEntry, phase: string, err: unknown): void {
    entry.log.error(
      { plugin: entry.name, phase, request_id: this.#request.requestId, err: toError(err) },
      'plugin failed',
    );
  }

  /** Calls one phase of `entry` with `instance`'s conf; what it returns when that is a promise. */
  #call(entry: ChainEntry, instance: CompiledInstance, phase: AnyPhase): PromiseLike<void> | undefined {
    this.#current = entry;
    this.#instance = instance;
    if (instance.failure !== undefined) throw instance.failure;
    const done = runInPlugin(entry.name, phase, this.#context, instance.conf);
    return isThenable(done) ? done : undefined;
  }

  /** Rewrite and access; undefined when every phase was synchronous (nothing to await). */
  beforeProxy(): Promise<void> | undefined {
    return this.#advance(this.#chain.hasRewrite ? 0 : this.#chain.entries.length, 0);
  }

  /** Rewrite phases from `rewriteAt`, then access phases from `accessAt`, until one returns a promise. */
  #advance(rewriteAt: number, accessAt: number): Promise<void> | undefined {
    const entries = this.#chain.entries;
    const https = this.#request.scheme === 'https';
    try {
      for (let i = rewriteAt; i < entries.length && this.#exit === undefined; i++) {
        const entry = entries[i]!;
        const rewrite = entry.handler.rewrite;
        const global = entry.global;
        if (rewrite === undefined || global === undefined || !(https ? global.https : global.http)) continue;
        const done = this.#call(entry, global, rewrite);
        if (done !== undefined) return this.#resume(done, i + 1, 0);
      }
      for (let i = accessAt; i < entries.length; i++) {
        const entry = entries[i]!;
        const instance = this.#resolve(entry);
        this.#configs[i] = instance;
        const access = entry.handler.access;
        // After an exit the rest are only resolved (their header and log phases still run).
        if (instance === undefined || access === undefined || this.#exit !== undefined) continue;
        const done = this.#call(entry, instance, access);
        if (done !== undefined) return this.#resume(done, entries.length, i + 1);
      }
    } catch (err) {
      this.#failBeforeProxy(err);
    }
    return undefined;
  }

  async #resume(pending: PromiseLike<void>, rewriteAt: number, accessAt: number): Promise<void> {
    try {
      await pending;
    } catch (err) {
      this.#failBeforeProxy(err);
      return;
    }
    const more = this.#advance(rewriteAt, accessAt);
    if (more !== undefined) await more;
  }

  /** A throw in rewrite or access: Kong's 500, later rewrite/access phases skipped. */
  #failBeforeProxy(err: unknown): void {
    this.#failed(this.#current, 'access', err);
    this.#exit = {
      status: 500,
      body: unexpected(this.#request.requestId),
      headers: ['Content-Type', JSON_TYPE],
    };
  }

  header(status: number, headers: string[]): void {
    this.#phase = 'header';
    this.#status = status;
    this.#liveResponse = headers;
    this.#sentHeaders = headers;
    for (const [name, value] of this.#pendingResponse ?? []) {
      if (value === undefined) removeHeader(headers, name);
      else setHeader(headers, name, value);
    }
    const entries = this.#chain.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const instance = this.#configs[i];
      const phase = entry.handler.header;
      if (instance === undefined || phase === undefined) continue;
      try {
        this.#call(entry, instance, phase);
      } catch (err) {
        // Kong's 500 replaces these headers: the later header phases have nothing to edit.
        this.#failed(entry, 'header', err);
        this.#phaseFailed = true;
        break;
      }
      if (this.#headerExit !== undefined) {
        // As ngx.exit in header_filter: no later header phase; no body goes out.
        removeHeader(headers, 'transfer-encoding');
        setHeader(headers, 'Content-Length', '0');
        break;
      }
    }
    this.#liveResponse = undefined;
    this.#phase = 'after';
  }

  body(chunk: Buffer, eof: boolean, trailers?: Readonly<Record<string, unknown>> | null): Buffer {
    const entries = this.#chain.entries;
    let out = chunk;
    if (this.#phaseFailed) return out;
    if (eof && trailers !== undefined && trailers !== null) this.#trailers = trailers;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const instance = this.#configs[i];
      const phase = entry.handler.body;
      if (instance === undefined || phase === undefined) continue;
      this.#current = entry;
      this.#instance = instance;
      try {
        if (instance.failure !== undefined) throw instance.failure;
        out = runInPlugin(entry.name, phase, this.#context, instance.conf, out, eof);
        if (!Buffer.isBuffer(out)) {
          throw new PluginValueError(
            entry.name,
            `returned ${typeof out} from its body phase, expected a Buffer`,
          );
        }
      } catch (err) {
        // The connection is closed: the later body phases see nothing more.
        this.#failed(entry, 'body', err);
        this.#phaseFailed = true;
        return chunk;
      }
    }
    return out;
  }

  /** The log phase, once, when the response closed; never throws. */
  runLog(): void {
    if (this.#logged) return;
    this.#logged = true;
    this.#phase = 'after';
    const entries = this.#chain.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const instance = this.#configs[i];
      const phase = entry.handler.log;
      if (instance === undefined || phase === undefined) continue;
      try {
        this.#call(entry, instance, phase);
      } catch (err) {
        this.#failed(entry, 'log', err);
      }
    }
  }
}
