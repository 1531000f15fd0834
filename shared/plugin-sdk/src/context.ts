/**
 * What a phase function sees of one request: the request, the route and service it matched, the
 * authenticated consumer, the entities of the configuration version, and the ways to change the
 * upstream request and the client response. One context per request, shared by every plugin of
 * the chain (as Kong's `kong.*` PDK is), created only on routes that have plugins.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EntityName, EntityTypes } from '../../src/schema/index.ts';
import type { Logger } from './log.ts';
import type { SerializedRecord } from './serialize.ts';

/** A consumer as synced (Kong's consumers entity). */
export interface PluginConsumer {
  readonly id: string;
  readonly username?: string | null;
  readonly custom_id?: string | null;
  readonly [field: string]: unknown;
}

/** A credential: any entity with an id and a consumer reference (keyauth_credentials, jwt_secrets…). */
export interface PluginCredential {
  readonly id: string;
  readonly consumer?: { readonly id: string } | null;
  readonly [field: string]: unknown;
}

/** The route and service as synced; only the fields every plugin may rely on are typed. */
export interface PluginRoute {
  readonly id: string;
  readonly name?: string | null;
  readonly [field: string]: unknown;
}
export type PluginService = PluginRoute;

/**
 * Lookups over the entities of the running configuration version, compiled once per version
 * (Kong's `kong.db.<entity>:select*` answered from memory): no request scans a list.
 */
export interface EntityLookup {
  /** By primary key. */
  get<N extends EntityName>(entity: N, id: string): EntityTypes[N] | undefined;
  /** By a unique field (consumers.username, keyauth_credentials.key, jwt_secrets.key…). */
  findBy<N extends EntityName>(
    entity: N,
    field: keyof EntityTypes[N] & string,
    value: string,
  ): EntityTypes[N] | undefined;
  /** Every entity whose foreign field references `id` (acls by consumer…). */
  listBy<N extends EntityName>(
    entity: N,
    field: keyof EntityTypes[N] & string,
    id: string,
  ): readonly EntityTypes[N][];
}

/**
 * The captures of the route's regex path that matched (Kong's kong.request.get_uri_captures):
 * `unnamed` from the first group on (the whole match excluded), `named` by group name.
 */
export interface UriCaptures {
  readonly named: Readonly<Record<string, string>>;
  readonly unnamed: readonly string[];
}

/** The connection a request came on (Kong's ngx.var.server_addr, connection, connection_requests). */
export interface PluginConnection {
  /** The local address the connection was accepted at. */
  readonly serverAddress: string;
  /** The connection's serial number in this worker, from 1. */
  readonly serial: number;
  /** This request's number on the connection, from 1, among the requests that read `connection`. */
  readonly requests: number;
}

/** The client's request, read-only. Header names are lowercase, as node gives them. */
export interface PluginRequest {
  readonly method: string;
  /** The path as received, without the query string. */
  readonly path: string;
  readonly scheme: 'http' | 'https';
  readonly headers: IncomingHttpHeaders;
  /** The query string as received, parsed on first use. */
  readonly query: URLSearchParams;
  /**
   * The request target as received: the path, then `?` and the query when the URL had one, not
   * decoded or normalized (nginx's `$request_uri`, Kong's `kong.request.get_path_with_query`).
   */
  readonly target: string;
  /** The HTTP version, `1.0`, `1.1` or `2.0` (`kong.request.get_http_version`, as `%.1f`). */
  readonly httpVersion: string;
  /** The client address (after trusted_ips / real_ip_header, as X-Real-IP). */
  readonly clientIp: string;
  /**
   * The scheme the client used before any TLS-terminating proxy: X-Forwarded-Proto when
   * trusted_ips trusts the peer that sent it, else `scheme` (Kong's `kong.request.get_forwarded_scheme`).
   */
  readonly forwardedScheme: string;
  /** The port the request came in at (Kong's kong.request.get_port). */
  readonly port: number;
  /** The route's regex path captures; both empty for a route matched without one. */
  readonly uriCaptures: UriCaptures;
  /** The connection it came on. */
  readonly connection: PluginConnection;
  /** One header's value; a repeated header gives its values joined by ", " (set-cookie excepted). */
  header(name: string): string | undefined;
  /** How many times a header came (key-auth refuses a duplicated key). */
  headerCount(name: string): number;
  /**
   * Reads the whole request body (within the proxy's body size limit), once; the service then
   * gets these bytes (or what `setUpstreamBody` put instead). Access phase only.
   */
  readBody(): Promise<Buffer>;
}

/** The response, as the header, body and log phases see it. */
export interface PluginResponse {
  /** 0 before the response status is known (rewrite, access). */
  readonly status: number;
  /**
   * Ends the request the Kong way (`kong.response.exit`): an object body is sent as JSON, a
   * string or Buffer as is. Return right after calling it: the remaining rewrite/access phases
   * are skipped, the service is not called; header and log phases still run. Throws a
   * PluginValueError for a status outside 100–599 or an invalid header (see setResponseHeader).
   *
   * In the header phase of a proxied response, `exit(status)` alone (no body, no headers) turns
   * the response into that status with no body, as Kong's exit in header_filter.
   */
  exit(status: number, body?: unknown, headers?: Readonly<Record<string, string>>): void;
  /** True once a plugin called exit. */
  readonly exited: boolean;
  /** A response header's value (header phase: the upstream's or the exit's; before: what plugins set). */
  header(name: string): string | undefined;
  /**
   * Every response header as [name, value] pairs in order, a repeated header once per value
   * (header phase: the upstream's or the exit's, as edited so far; before: what plugins set).
   */
  headers(): [string, string][];
  /**
   * A trailer of the upstream's response (gRPC's `grpc-status`, `grpc-message`…), lowercase or
   * not; known in the body phase's last call (`eof`), undefined before and when it sent none.
   */
  trailer(name: string): string | undefined;
}

export interface PluginContext {
  readonly request: PluginRequest;
  readonly response: PluginResponse;
  readonly route: PluginRoute;
  /** Undefined for a route without a service. */
  readonly service: PluginService | undefined;
  /** The configuration version's entities. */
  readonly db: EntityLookup;
  /**
   * The private store of the plugin instance running (its `plugins` entity id), kept across
   * configuration versions and changes of that instance's config, dropped when the instance is
   * deleted. Key what you store by everything it depends on (a credential's id and stored hash…).
   */
  readonly cache: Map<string, unknown>;
  /** A per-request store shared by every plugin (Kong's `kong.ctx.shared`). */
  readonly shared: Map<string, unknown>;
  /** Logs with the plugin's name. */
  readonly log: Logger;
  /** The authenticated consumer (Kong's kong.client.get_consumer). */
  readonly consumer: PluginConsumer | undefined;
  /** The credential the consumer authenticated with; undefined for an anonymous consumer. */
  readonly credential: PluginCredential | undefined;
  /** Kong's kong.client.authenticate: later plugins resolve consumer-scoped configuration with it. */
  authenticate(consumer: PluginConsumer | undefined, credential: PluginCredential | undefined): void;
  /**
   * Sets (replaces) a header of the request sent to the service. The name must be an HTTP token,
   * the value free of CR, LF, NUL and other control characters (tab allowed): else PluginValueError.
   */
  setUpstreamHeader(name: string, value: string): void;
  /** Removes a header from the request sent to the service. */
  clearUpstreamHeader(name: string): void;
  /** Replaces the body sent to the service (after readBody); Content-Length follows. */
  setUpstreamBody(body: Buffer | string): void;
  /**
   * Replaces the query string sent to the service. A string goes into the request line as given:
   * a space, a control character or one beyond Latin-1 in it throws PluginValueError.
   */
  setUpstreamQuery(query: URLSearchParams | string): void;
  /**
   * Replaces the path sent to the service (Kong's kong.service.request.set_path): it must start
   * with `/`; characters a request line cannot carry (space, controls, non-ASCII…) are
   * percent-encoded, `%` escapes are kept. Else PluginValueError.
   */
  setUpstreamPath(path: string): void;
  /**
   * The path the service will get (Kong's `ngx.var.upstream_uri` in access): the route's upstream
   * path (strip_path, the service's path), or what a plugin set with setUpstreamPath.
   */
  readonly upstreamPath: string;
  /** Replaces the method sent to the service (kong.service.request.set_method): an HTTP token, uppercased. */
  setUpstreamMethod(method: string): void;
  /**
   * Sets (replaces) a header of the response sent to the client, whether proxied or from exit;
   * checked as setUpstreamHeader. Transfer-Encoding is ignored (with a warning), as in Kong.
   */
  setResponseHeader(name: string, value: string): void;
  /** Removes a header from the response sent to the client (header phase). */
  clearResponseHeader(name: string): void;
  /**
   * Kong's `kong.log.serialize()`: the request's log record (see SerializedRecord), built on the
   * first call and the same object after. Log phase only: elsewhere it throws.
   */
  serialize(): SerializedRecord;
}
