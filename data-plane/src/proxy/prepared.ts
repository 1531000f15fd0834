/**
 * One routed request on its way to its service, plain HTTP or WebSocket handshake alike: what
 * prepareRequest (prepare.ts) learnt, and what the plugin chain, the balancer and the upstream
 * call read from there. One object per request; strings (query, target) are cut only when read.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { HashRequest } from '../balancer/hash-value.ts';
import type { Peer } from '../balancer/peer.ts';
import type { Match, UriCaptures } from '../router/index.ts';
import type { PluginChain, PluginRun, PluginVersion, ServiceDispatch } from '../runtime/index.ts';
import { hostValueIndex } from './forwarded-headers.ts';
import { entryOf } from './request-entry.ts';

export class Prepared implements HashRequest {
  readonly req: IncomingMessage;
  readonly startedAt: number;
  /** The request id (X-Kong-Request-Id, error bodies, logs): 32 hex digits. */
  readonly requestId: string;
  readonly scheme: 'http' | 'https';
  /** The request target as received. */
  readonly url: string;
  /** Where '?' is in `url`; -1 when there is no query. */
  readonly queryAt: number;
  /** The request path as received, without the query string. */
  readonly requestPath: string;
  found!: Match;
  dispatch!: ServiceDispatch;
  /** The route's plugin chain; undefined (or empty) when no plugin applies: the fast path. */
  chain: PluginChain | undefined = undefined;
  /** The version's entities the chain's plugins read (`ctx.db`); set with `chain`. */
  pluginDb: PluginVersion['db'] | undefined = undefined;
  /** The headers for the service, flat `[name, value, …]` (plugins edit them in place). */
  upstreamHeaders!: string[];
  /** Where the Host value is in `upstreamHeaders`. */
  hostIndex = -1;
  /** The client address after trusted_ips and real_ip_header (nginx's $remote_addr). */
  clientIp = '';
  /** The scheme, or the X-Forwarded-Proto of a trusted peer. */
  forwardedScheme = '';
  /** The request's Content-Length; -1 when it sent none. */
  contentLength = -1;
  /** A body follows the headers (never for a handshake: prepare refuses one with a body). */
  hasBody = false;
  /** A gRPC call (HTTP/2, gRPC Content-Type): answered by GrpcCall, its body always streamed. */
  grpc = false;
  /** The chain's run for this request, once opened (openChain). */
  plugins: PluginRun | undefined = undefined;
  /** The query string the plugins set, without '?'; undefined: the one received. */
  #query: string | undefined = undefined;
  /** The path and method the plugins set; undefined: the route's upstream path, the client's method. */
  #path: string | undefined = undefined;
  upstreamMethod: string | undefined = undefined;

  constructor(
    req: IncomingMessage,
    startedAt: number,
    requestId: string,
    scheme: 'http' | 'https',
    url: string,
    queryAt: number,
    requestPath: string,
  ) {
    this.req = req;
    this.startedAt = startedAt;
    this.requestId = requestId;
    this.scheme = scheme;
    this.url = url;
    this.queryAt = queryAt;
    this.requestPath = requestPath;
  }

  /** The query string as received, without '?'. */
  get receivedQuery(): string {
    return this.queryAt === -1 ? '' : this.url.slice(this.queryAt + 1);
  }

  // HashRequest: what consistent hashing reads.

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }
  /** The normalised path the route matched (nginx's $uri). */
  get path(): string {
    return this.found.path;
  }
  /** The query string forwarded, without '?'. */
  get query(): string {
    return this.#query ?? this.receivedQuery;
  }
  get uriCaptures(): UriCaptures | undefined {
    return this.found.uriCaptures;
  }
  /** Read from the plugin run: a consumer is known only once its access phase authenticated one. */
  get consumerId(): string | undefined {
    return this.plugins?.consumerId;
  }

  /**
   * The request target upstream: the route's upstream path, then the query as received (an
   * empty `?` kept, as Kong's $is_args) unless plugins set another.
   */
  upstreamTarget(): string {
    const path = this.#path ?? this.found.upstreamPath;
    const query = this.#query;
    if (query !== undefined) return query === '' ? path : `${path}?${query}`;
    return this.queryAt === -1 ? path : path + this.url.slice(this.queryAt);
  }

  /** Opens the route's chain for this request (the slow path); `res` is where its log phase reads the status. */
  openChain(chain: PluginChain, res: ServerResponse, body: Readable | Buffer | null): PluginRun {
    const run = chain.open({
      req: this.req,
      res,
      match: this.found,
      scheme: this.scheme,
      clientIp: this.clientIp,
      forwardedScheme: this.forwardedScheme,
      requestId: this.requestId,
      path: this.requestPath,
      query: this.receivedQuery,
      upstreamHeaders: this.upstreamHeaders,
      body,
      db: this.pluginDb!,
      startedAt: this.startedAt,
      upstream: this,
      facts: entryOf(res),
    });
    this.plugins = run;
    return run;
  }

  /**
   * What rewrite and access left for the upstream: a Host header they removed is the service's
   * again, and the query they set (if they changed it) is the one forwarded.
   */
  accessDone(run: PluginRun): void {
    const headers = this.upstreamHeaders;
    let index = hostValueIndex(headers);
    if (index === -1) {
      headers.push('Host', this.found.upstreamHost ?? this.found.service!.host);
      index = headers.length - 1;
    }
    this.hostIndex = index;
    const query = run.upstreamQuery;
    if (query !== this.receivedQuery) this.#query = query;
    this.#path = run.upstreamPath;
    this.upstreamMethod = run.upstreamMethod;
  }

  /**
   * The undici dispatcher of one attempt: the service's pool, or the pool of the peer the
   * balancer picked, whose Host the request then carries unless the route preserves the client's.
   */
  dispatcherFor(peer: Peer | undefined): Dispatcher {
    const dispatch = this.dispatch;
    if (peer === undefined) return dispatch.dispatcher;
    const balancer = dispatch.balancer!;
    if (this.hostIndex >= 0 && this.found.route.preserve_host !== true) {
      this.upstreamHeaders[this.hostIndex] = balancer.hostFor(peer);
    }
    return balancer.dispatcherFor(peer);
  }
}
