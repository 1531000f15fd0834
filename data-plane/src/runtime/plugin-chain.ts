/**
 * The seam between the proxy and the plugin runtime (../plugin-chain): one chain per route,
 * compiled with the Runtime. The proxy opens a run only when the route has a chain, so a route
 * without plugins costs one map lookup per request.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { EntityLookup } from '@turnpike/plugin-sdk';
import { InternalError } from '@turnpike/shared';
import type { FailedTry } from '../balancer/index.ts';
import type { Match } from '../router/index.ts';

/** What the proxy hands a chain for one request. */
export interface ChainRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly match: Match;
  readonly scheme: 'http' | 'https';
  readonly clientIp: string;
  /** The scheme, or X-Forwarded-Proto's when trusted_ips trusts the peer (Kong's get_forwarded_scheme). */
  readonly forwardedScheme: string;
  /** The request id (X-Kong-Request-Id): named in the log lines of the request's plugin failures. */
  readonly requestId: string;
  /** The request path as received, without the query string. */
  readonly path: string;
  /** The query string as received, without '?'. */
  readonly query: string;
  /** The headers for the service, flat `[name, value, …]`: plugins edit them in place. */
  readonly upstreamHeaders: string[];
  /**
   * The request body the proxy would forward (null: none): a Buffer when it was buffered in
   * memory, else a stream (over its temp file when buffered, the client's when streamed).
   */
  readonly body: Readable | Buffer | null;
  /** The version's entities, as plugins read them (`ctx.db`): the Runtime's `plugins.db`. */
  readonly db: EntityLookup;
  /** performance.now() when the request arrived (the log serializer's times). */
  readonly startedAt?: number;
  /** The request target sent upstream (the log serializer's `upstream_uri`). */
  readonly upstream?: { upstreamTarget(): string };
  /** The proxy's record of the request (timings, upstream status, bytes), when it keeps one. */
  readonly facts?: RequestFacts | undefined;
}

/** What the proxy records of a request as it goes (its RequestEntry), read by the log serializer. */
export interface RequestFacts {
  readonly bodyBytes: number;
  /** 0: no upstream answered. */
  readonly upstreamStatus: number;
  /** performance.now() values; 0 when it did not happen. */
  readonly upstreamSentAt: number;
  readonly upstreamAnsweredAt: number;
  /** `ip:port` of the last attempt ('' : none). */
  readonly upstreamAddress: string;
  /** The attempts that failed (Kong's tries with a state), in order. */
  readonly failedTries: readonly FailedTry[];
  readonly endedAt: number;
}

/** A response a plugin made (`ctx.response.exit`), or the 500 of a plugin that threw. */
export interface ChainExit {
  readonly status: number;
  readonly body: Buffer | undefined;
  /** Flat `[name, value, …]`, Content-Type included when there is a body. */
  readonly headers: string[];
}

/**
 * One request's pass through a chain. The proxy calls `beforeProxy` (rewrite, access), then either
 * sends `exit` or forwards with `upstreamQuery` / `upstreamBody`; `header` and `body` as the
 * response passes. The log phase runs by itself when the response closes; nothing here throws.
 */
export interface PluginRun {
  /**
   * Rewrite and access. Undefined when they all ran synchronously (done: read `exit` now); else a
   * promise that settles (never rejects) once they are done.
   */
  beforeProxy(): Promise<void> | undefined;
  readonly exit: ChainExit | undefined;
  /** The query string to forward (without '?'), after plugins changed it. */
  readonly upstreamQuery: string;
  /** The path to send instead of the route's upstream path (a plugin set it); undefined: unchanged. */
  readonly upstreamPath: string | undefined;
  /** The method to send instead of the client's; undefined: unchanged. */
  readonly upstreamMethod: string | undefined;
  /** Set when a plugin read (or replaced) the body: forward these bytes instead of the stream. */
  readonly upstreamBody: Buffer | undefined;
  /**
   * The id of the consumer an auth plugin authenticated, else of its credential (Kong's order);
   * undefined when none did. What an Upstream's `hash_on = consumer` hashes, read once access ran.
   */
  readonly consumerId: string | undefined;
  /** Header phase: edits the flat response headers in place before they are written. */
  header(status: number, headers: string[]): void;
  /** True when some plugin has a body phase: only then does the proxy call `body`. */
  readonly transformsBody: boolean;
  /**
   * Body phase, one chunk; `trailers` (the upstream's, when it sent any) come with the last call,
   * `eof`, where plugins read them (`ctx.response.trailer`: grpc-web's trailer frame).
   */
  body(chunk: Buffer, eof: boolean, trailers?: Readonly<Record<string, unknown>> | null): Buffer;
  /**
   * True once a header or body phase threw (the throw was logged with the plugin's name): the
   * proxy answers Kong's 500 when nothing was sent yet, else closes the connection.
   */
  readonly failed: boolean;
  /**
   * Set when a header phase called `response.exit(status)` (no body; Kong's kong.response.exit in
   * header_filter): the proxy answers that status with the headers as edited and no body, drops
   * the upstream's body, and runs no later header phase.
   */
  readonly headerExitStatus: number | undefined;
}

/** A version's plugins beside its chains: the entity lookup, and what its compile cost. */
export interface PluginVersion {
  readonly db: EntityLookup;
  /** How many chains the compile (or patch) that made this version resolved. */
  readonly compiledChains: number;
}

export interface PluginChain {
  readonly empty: boolean;
  open(request: ChainRequest): PluginRun;
}

function emptyOpen(): PluginRun {
  throw new InternalError('the empty plugin chain is never opened');
}

export const EMPTY_PLUGIN_CHAIN: PluginChain = Object.freeze({ empty: true, open: emptyOpen });
