/**
 * A compiled plugin chain and its per-request run. The run is the PluginContext every plugin of
 * the request sees (one object per request); `cache` and `log` follow the plugin being called.
 * The contract each phase keeps is written in shared/plugin-sdk/src/handler.ts.
 */

import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type {
  EntityLookup,
  Logger,
  PluginConnection,
  PluginConsumer,
  PluginContext,
  PluginCredential,
  PluginHandler,
  PluginRequest,
  PluginResponse,
  PluginRoute,
  PluginService,
  UriCaptures,
} from '@turnpike/plugin-sdk';
import { PluginValueError, toError } from '@turnpike/shared';
import type { ChainExit, ChainRequest, PluginChain, PluginRun } from '../runtime/plugin-chain.ts';
import { kongCaptures } from './captures.ts';
import { connectionRequest } from './connections.ts';
import { countRawHeader, findHeader, removeHeader, setHeader } from './headers.ts';
import { runInPlugin } from './plugin-scope.ts';
import { checkHeaderName, checkHeaderValue, checkQuery, checkStatus } from './plugin-values.ts';

/** One plugin instance's config, compiled once per version. */
export interface CompiledInstance {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly http: boolean;
  readonly https: boolean;
}

/** One plugin in a route's chain: its handler and the instances that may apply. */
export interface ChainEntry {
  readonly name: string;
  readonly handler: PluginHandler;
  readonly base: CompiledInstance | undefined;
  readonly global: CompiledInstance | undefined;
  readonly byConsumer: ReadonlyMap<string, CompiledInstance> | undefined;
  /** The plugin's store for this version, shared by every route. */
  readonly cache: Map<string, unknown>;
  readonly log: Logger;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
/** Kong's JSON 500 (kong/tools/http.lua ERROR_TEMPLATES) for a plugin that threw, with the request's id. */
function unexpected(requestId: string): Buffer {
  return Buffer.from(`{\n  "message":"An unexpected error occurred",\n  "request_id":"${requestId}"\n}`);
}
const kRun = Symbol('turnpike.plugin-run');
type ResponseWithRun = ServerResponse & { [kRun]?: RequestRun };

function onResponseClose(this: ResponseWithRun): void {
  this[kRun]?.runLog();
}

export class CompiledChain implements PluginChain {
  readonly empty = false;
  readonly entries: readonly ChainEntry[];
  readonly db: EntityLookup;
  readonly hasRewrite: boolean;
  readonly hasBody: boolean;
  readonly hasLog: boolean;

  constructor(entries: readonly ChainEntry[], db: EntityLookup) {
    this.entries = entries;
    this.db = db;
    this.hasRewrite = entries.some((e) => e.handler.rewrite !== undefined && e.global !== undefined);
    this.hasBody = entries.some((e) => e.handler.body !== undefined);
    this.hasLog = entries.some((e) => e.handler.log !== undefined);
  }

  open(request: ChainRequest): PluginRun {
    const run = new RequestRun(this, request);
    if (this.hasLog) {
      (request.res as ResponseWithRun)[kRun] = run;
      request.res.once('close', onResponseClose);
    }
    return run;
  }
}

class RequestView implements PluginRequest {
  readonly #chain: ChainRequest;
  readonly #run: RequestRun;
  #query: URLSearchParams | undefined;
  #body: Promise<Buffer> | undefined;
  #captures: UriCaptures | undefined;
  #connection: PluginConnection | undefined;

  constructor(chain: ChainRequest, run: RequestRun) {
    this.#chain = chain;
    this.#run = run;
  }
  get method(): string {
    return this.#chain.req.method ?? 'GET';
  }
  get path(): string {
    return this.#chain.path;
  }
  get scheme(): 'http' | 'https' {
    return this.#chain.scheme;
  }
  get headers(): IncomingHttpHeaders {
    return this.#chain.req.headers;
  }
  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.#chain.query);
    return this.#query;
  }
  get clientIp(): string {
    return this.#chain.clientIp;
  }
  get port(): number {
    return this.#chain.req.socket.localPort ?? 0;
  }
  get connection(): PluginConnection {
    this.#connection ??= connectionRequest(this.#chain.req.socket);
    return this.#connection;
  }
  get uriCaptures(): UriCaptures {
    this.#captures ??= kongCaptures(this.#chain.match.uriCaptures);
    return this.#captures;
  }
  header(name: string): string | undefined {
    const value = this.#chain.req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  headerCount(name: string): number {
    return countRawHeader(this.#chain.req.rawHeaders, name);
  }
  readBody(): Promise<Buffer> {
    this.#body ??= this.#read();
    return this.#body;
  }
  async #read(): Promise<Buffer> {
    const source = this.#chain.body;
    let body: Buffer;
    // A buffered body is already whole (in memory, or a stream over its temp file).
    if (Buffer.isBuffer(source)) body = source;
    else {
      const chunks: Buffer[] = [];
      if (source !== null) for await (const chunk of source) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
    }
    this.#run.useUpstreamBody(body);
    return body;
  }
}

class ResponseView implements PluginResponse {
  readonly #run: RequestRun;
  constructor(run: RequestRun) {
    this.#run = run;
  }
  get status(): number {
    return this.#run.status;
  }
  get exited(): boolean {
    return this.#run.exit !== undefined;
  }
  exit(status: number, body?: unknown, headers?: Readonly<Record<string, string>>): void {
    this.#run.exitWith(status, body, headers);
  }
  header(name: string): string | undefined {
    return this.#run.responseHeader(name);
  }
}

/** One request through a chain: the PluginRun the proxy drives and the PluginContext plugins see. */
class RequestRun implements PluginRun, PluginContext {
  readonly #chain: CompiledChain;
  readonly #request: ChainRequest;
  readonly request: RequestView;
  readonly response: ResponseView;
  readonly shared = new Map<string, unknown>();
  /** The instance each entry runs with, resolved in access (consumer known by then). */
  readonly #configs: (CompiledInstance | undefined)[];
  #current: ChainEntry;
  #consumer: PluginConsumer | undefined;
  #credential: PluginCredential | undefined;
  #exit: ChainExit | undefined;
  #phase: 'before' | 'header' | 'after' = 'before';
  #status = 0;
  /** Response header edits made before the response exists, replayed in the header phase. */
  #pendingResponse: [string, string | undefined][] | undefined;
  #liveResponse: string[] | undefined;
  #upstreamQuery: string;
  #upstreamBody: Buffer | undefined;
  #logged = false;
  #phaseFailed = false;

  constructor(chain: CompiledChain, request: ChainRequest) {
    this.#chain = chain;
    this.#request = request;
    this.request = new RequestView(request, this);
    this.response = new ResponseView(this);
    this.#configs = new Array(chain.entries.length);
    this.#current = chain.entries[0]!;
    this.#upstreamQuery = request.query;
  }

  // PluginContext

  get route(): PluginRoute {
    return this.#request.match.route as unknown as PluginRoute;
  }
  get service(): PluginService | undefined {
    return this.#request.match.service as unknown as PluginService | undefined;
  }
  get db(): EntityLookup {
    return this.#chain.db;
  }
  get cache(): Map<string, unknown> {
    return this.#current.cache;
  }
  get log(): Logger {
    return this.#current.log;
  }
  get consumer(): PluginConsumer | undefined {
    return this.#consumer;
  }
  get credential(): PluginCredential | undefined {
    return this.#credential;
  }
  authenticate(consumer: PluginConsumer | undefined, credential: PluginCredential | undefined): void {
    this.#consumer = consumer;
    this.#credential = credential;
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
  setUpstreamBody(body: Buffer | string): void {
    this.useUpstreamBody(typeof body === 'string' ? Buffer.from(body) : body);
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
  clearResponseHeader(name: string): void {
    const checked = checkHeaderName(this.#current.name, name);
    if (this.#liveResponse !== undefined) removeHeader(this.#liveResponse, checked);
    else this.#pending().push([checked, undefined]);
  }

  #pending(): [string, string | undefined][] {
    this.#pendingResponse ??= [];
    return this.#pendingResponse;
  }

  // Used by the views.

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
  useUpstreamBody(body: Buffer): void {
    this.#upstreamBody = body;
    const headers = this.#request.upstreamHeaders;
    removeHeader(headers, 'transfer-encoding');
    setHeader(headers, 'Content-Length', String(body.length));
  }
  exitWith(status: number, body: unknown, headers: Readonly<Record<string, string>> | undefined): void {
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
  get consumerId(): string | undefined {
    // kong/runloop/balancer/init.lua get_value_to_hash: the consumer, else the credential.
    return this.#consumer?.id ?? this.#credential?.id;
  }
  get transformsBody(): boolean {
    return this.#chain.hasBody;
  }

  #resolve(entry: ChainEntry): CompiledInstance | undefined {
    let instance = entry.base;
    const consumer = this.#consumer;
    if (entry.byConsumer !== undefined && consumer !== undefined) {
      instance = entry.byConsumer.get(consumer.id) ?? instance;
    }
    if (instance === undefined) return undefined;
    return (this.#request.scheme === 'https' ? instance.https : instance.http) ? instance : undefined;
  }

  /** True once a header or body phase threw: the proxy then answers 500, or closes the connection. */
  get failed(): boolean {
    return this.#phaseFailed;
  }

  #failed(entry: ChainEntry, phase: string, err: unknown): void {
    entry.log.error(
      { plugin: entry.name, phase, request_id: this.#request.requestId, err: toError(err) },
      'plugin failed',
    );
  }

  async beforeProxy(): Promise<void> {
    const entries = this.#chain.entries;
    let entry = entries[0]!;
    try {
      if (this.#chain.hasRewrite) {
        for (entry of entries) {
          const rewrite = entry.handler.rewrite;
          const global = entry.global;
          if (rewrite === undefined || global === undefined) continue;
          if (!(this.#request.scheme === 'https' ? global.https : global.http)) continue;
          this.#current = entry;
          const done = runInPlugin(entry.name, rewrite, this, global.config);
          if (done !== undefined) await done;
          if (this.#exit !== undefined) break;
        }
      }
      for (let i = 0; i < entries.length; i++) {
        entry = entries[i]!;
        const instance = this.#resolve(entry);
        this.#configs[i] = instance;
        const access = entry.handler.access;
        // After an exit the rest are only resolved (their header and log phases still run).
        if (instance === undefined || access === undefined || this.#exit !== undefined) continue;
        this.#current = entry;
        const done = runInPlugin(entry.name, access, this, instance.config);
        if (done !== undefined) await done;
      }
    } catch (err) {
      this.#failed(entry, 'access', err);
      this.#exit = {
        status: 500,
        body: unexpected(this.#request.requestId),
        headers: ['Content-Type', JSON_TYPE],
      };
    }
  }

  header(status: number, headers: string[]): void {
    this.#phase = 'header';
    this.#status = status;
    this.#liveResponse = headers;
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
      this.#current = entry;
      try {
        runInPlugin(entry.name, phase, this, instance.config);
      } catch (err) {
        this.#failed(entry, 'header', err);
        this.#phaseFailed = true;
      }
    }
    this.#liveResponse = undefined;
    this.#phase = 'after';
  }

  body(chunk: Buffer, eof: boolean): Buffer {
    const entries = this.#chain.entries;
    let out = chunk;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const instance = this.#configs[i];
      const phase = entry.handler.body;
      if (instance === undefined || phase === undefined) continue;
      this.#current = entry;
      try {
        out = runInPlugin(entry.name, phase, this, instance.config, out, eof);
        if (!Buffer.isBuffer(out)) {
          throw new PluginValueError(
            entry.name,
            `returned ${typeof out} from its body phase, expected a Buffer`,
          );
        }
      } catch (err) {
        this.#failed(entry, 'body', err);
        this.#phaseFailed = true;
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
      this.#current = entry;
      try {
        runInPlugin(entry.name, phase, this, instance.config);
      } catch (err) {
        this.#failed(entry, 'log', err);
      }
    }
  }
}
