/**
 * What a plugin sees of one request: a frozen `PluginContext` facade over the engine's run
 * (./run.ts). The run — beforeProxy, header, body, the log phase, the exit it builds — is reachable
 * only through private fields, so plugin code can call nothing but the SDK's context API. One
 * context per request, shared by the plugins of the chain; `cache` and `log` follow the plugin
 * being called.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type {
  EntityLookup,
  Logger,
  PluginConnection,
  PluginConsumer,
  PluginContext,
  PluginCredential,
  PluginRequest,
  PluginResponse,
  PluginRoute,
  PluginService,
  SerializedRecord,
  UriCaptures,
} from '@turnpike/plugin-sdk';
import type { ChainRequest } from '../runtime/plugin-chain.ts';
import { kongCaptures } from './captures.ts';
import { connectionRequest } from './connections.ts';
import { countRawHeader } from './headers.ts';
import type { RequestRun } from './run.ts';

class RequestView implements PluginRequest {
  readonly #chain: ChainRequest;
  readonly #run: RequestRun;
  #captures: UriCaptures | undefined;
  #connection: PluginConnection | undefined;

  constructor(chain: ChainRequest, run: RequestRun) {
    this.#chain = chain;
    this.#run = run;
    Object.freeze(this);
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
    return this.#run.receivedQuery();
  }
  get clientIp(): string {
    return this.#chain.clientIp;
  }
  get forwardedScheme(): string {
    return this.#chain.forwardedScheme;
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
  get target(): string {
    const url = this.#chain.req.url ?? '';
    const q = url.indexOf('?');
    return q === -1 ? this.#chain.path : this.#chain.path + url.slice(q);
  }
  get httpVersion(): string {
    const version = this.#chain.req.httpVersion ?? '1.1';
    return version.includes('.') ? version : `${version}.0`;
  }
  header(name: string): string | undefined {
    const value = this.#chain.req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  headerCount(name: string): number {
    return countRawHeader(this.#chain.req.rawHeaders, name);
  }
  readBody(): Promise<Buffer> {
    return this.#run.readBody();
  }
}

class ResponseView implements PluginResponse {
  readonly #run: RequestRun;
  constructor(run: RequestRun) {
    this.#run = run;
    Object.freeze(this);
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
  headers(): [string, string][] {
    return this.#run.responseHeaders();
  }
  trailer(name: string): string | undefined {
    return this.#run.responseTrailer(name);
  }
}

/** The PluginContext of one request; frozen, as are its request and response views. */
export class RequestContext implements PluginContext {
  readonly #run: RequestRun;
  readonly #chain: ChainRequest;
  readonly request: PluginRequest;
  readonly response: PluginResponse;

  constructor(run: RequestRun, chain: ChainRequest) {
    this.#run = run;
    this.#chain = chain;
    this.request = new RequestView(chain, run);
    this.response = new ResponseView(run);
    Object.freeze(this);
  }

  get route(): PluginRoute {
    return this.#chain.match.route as unknown as PluginRoute;
  }
  get service(): PluginService | undefined {
    return this.#chain.match.service as unknown as PluginService | undefined;
  }
  get db(): EntityLookup {
    return this.#run.db;
  }
  get cache(): Map<string, unknown> {
    return this.#run.cache;
  }
  get shared(): Map<string, unknown> {
    return this.#run.shared;
  }
  get log(): Logger {
    return this.#run.log;
  }
  get consumer(): PluginConsumer | undefined {
    return this.#run.consumer;
  }
  get credential(): PluginCredential | undefined {
    return this.#run.credential;
  }
  authenticate(consumer: PluginConsumer | undefined, credential: PluginCredential | undefined): void {
    this.#run.authenticate(consumer, credential);
  }
  setUpstreamHeader(name: string, value: string): void {
    this.#run.setUpstreamHeader(name, value);
  }
  clearUpstreamHeader(name: string): void {
    this.#run.clearUpstreamHeader(name);
  }
  setUpstreamBody(body: Buffer | string): void {
    this.#run.useUpstreamBody(typeof body === 'string' ? Buffer.from(body) : body);
  }
  setUpstreamQuery(query: URLSearchParams | string): void {
    this.#run.setUpstreamQuery(query);
  }
  setUpstreamPath(path: string): void {
    this.#run.setUpstreamPath(path);
  }
  setUpstreamMethod(method: string): void {
    this.#run.setUpstreamMethod(method);
  }
  get upstreamPath(): string {
    return this.#run.plannedUpstreamPath;
  }
  setResponseHeader(name: string, value: string): void {
    this.#run.setResponseHeader(name, value);
  }
  clearResponseHeader(name: string): void {
    this.#run.clearResponseHeader(name);
  }
  serialize(): SerializedRecord {
    return this.#run.serialize();
  }
}

// Plugin code shares these classes across requests: none may patch them for the others.
Object.freeze(RequestView.prototype);
Object.freeze(ResponseView.prototype);
Object.freeze(RequestContext.prototype);
