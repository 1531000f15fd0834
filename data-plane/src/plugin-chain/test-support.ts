/**
 * Test support: run a chain's rewrite/access phases over a request made of plain objects, without
 * sockets. Used by the runtime's and the bundled plugins' unit tests.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { EntityLookup, PluginHandler } from '@turnpike/plugin-sdk';
import { createLogger } from '@turnpike/shared';
import type { Match } from '../router/index.ts';
import type { ChainExit, PluginChain, PluginRun } from '../runtime/plugin-chain.ts';
import { compilePlugins } from './compile.ts';

export const ROUTE_ID = 'r0000000-0000-4000-8000-000000000001';
export const SERVICE_ID = 's0000000-0000-4000-8000-000000000001';

export interface FakeRequest {
  readonly method?: string;
  readonly path?: string;
  readonly query?: string;
  /** Raw header pairs, as received. */
  readonly headers?: readonly [string, string][];
  readonly body?: string;
  readonly scheme?: 'http' | 'https';
  /** X-Forwarded-Proto as believed from a trusted peer; the scheme when absent. */
  readonly forwardedScheme?: string;
}

export interface RunResult {
  readonly run: PluginRun;
  readonly exit: ChainExit | undefined;
  /** The exit body parsed as JSON. */
  readonly json: unknown;
  /** The upstream headers after the plugins, lowercase names. */
  readonly upstream: Record<string, string>;
  readonly upstreamQuery: string;
  /** Emits 'close' as a finished response would. */
  readonly res: EventEmitter;
}

/** Entities as synced: type → list. */
export type EntityLists = Readonly<Record<string, readonly Record<string, unknown>[]>>;

export function contentOf(entities: EntityLists): Map<string, Map<string, unknown>> {
  const content = new Map<string, Map<string, unknown>>();
  for (const [type, list] of Object.entries(entities)) {
    content.set(type, new Map(list.map((e) => [e.id as string, e])));
  }
  return content;
}

export interface OpenedRun {
  readonly run: PluginRun;
  /** The upstream headers, flat; plugins edit them in place. */
  readonly upstreamHeaders: string[];
  readonly res: EventEmitter;
}

/** A route's chain with the entity lookup of its version, as a Runtime hands them to a request. */
export interface TestChain {
  readonly chain: PluginChain;
  readonly db: EntityLookup;
}

/** Compiles the chain of one route (ROUTE_ID on SERVICE_ID); undefined when no plugin applies. */
export function compileChain(
  handlers: readonly PluginHandler[],
  entities: EntityLists,
): TestChain | undefined {
  const compiled = compilePlugins([{ id: ROUTE_ID, service: { id: SERVICE_ID } }], contentOf(entities), {
    handlers: new Map(handlers.map((h) => [h.name, h])),
    log: createLogger({ level: 'silent' }),
  });
  const chain = compiled.chains.get(ROUTE_ID);
  return chain === undefined ? undefined : { chain, db: compiled.db };
}

/** Compiles the chains for one route (ROUTE_ID on SERVICE_ID) and opens a run, no phase called yet. */
export function openRun(
  handlers: readonly PluginHandler[],
  entities: EntityLists,
  request: FakeRequest = {},
): OpenedRun | undefined {
  const chain = compileChain(handlers, entities);
  return chain === undefined ? undefined : openOn(chain, request);
}

/** Opens a run of `chain` for a request made of plain objects. */
export function openOn(compiled: TestChain, request: FakeRequest = {}): OpenedRun {
  const { chain, db } = compiled;
  const raw = (request.headers ?? []).flat();
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of request.headers ?? []) {
    const lower = name.toLowerCase();
    const prev = headers[lower];
    headers[lower] = prev === undefined ? value : `${prev}, ${value}`;
  }
  const url = request.query === undefined ? (request.path ?? '/') : `${request.path ?? '/'}?${request.query}`;
  const req = {
    method: request.method ?? 'GET',
    url,
    httpVersion: '1.1',
    headers,
    rawHeaders: raw,
  } as unknown as IncomingMessage;
  const res = new EventEmitter();
  const upstreamHeaders = [...raw];
  const match = {
    route: { id: ROUTE_ID, service: { id: SERVICE_ID } },
    service: { id: SERVICE_ID, protocol: 'http', host: 'upstream', port: 80 },
  } as unknown as Match;
  const run = chain.open({
    req,
    res: res as unknown as ServerResponse,
    match,
    scheme: request.scheme ?? 'http',
    clientIp: '127.0.0.1',
    forwardedScheme: request.forwardedScheme ?? request.scheme ?? 'http',
    requestId: '0123456789abcdef0123456789abcdef',
    path: request.path ?? '/',
    query: request.query ?? '',
    upstreamHeaders,
    body: request.body === undefined ? null : Readable.from([Buffer.from(request.body)]),
    db,
  });
  return { run, upstreamHeaders, res };
}

/** Compiles the chains for one route (ROUTE_ID on SERVICE_ID) and runs a request through rewrite + access. */
export async function runRequest(
  handlers: readonly PluginHandler[],
  entities: EntityLists,
  request: FakeRequest = {},
): Promise<RunResult | undefined> {
  const opened = openRun(handlers, entities, request);
  if (opened === undefined) return undefined;
  const { run, upstreamHeaders, res } = opened;
  await run.beforeProxy();
  const upstream: Record<string, string> = {};
  for (let i = 0; i < upstreamHeaders.length; i += 2)
    upstream[upstreamHeaders[i]!.toLowerCase()] = upstreamHeaders[i + 1]!;
  const exit = run.exit;
  return {
    run,
    exit,
    json: exit?.body === undefined ? undefined : JSON.parse(exit.body.toString()),
    upstream,
    upstreamQuery: run.upstreamQuery,
    res,
  };
}

let n = 0;
/** A uuid-shaped id, unique within the test run. */
export function id(prefix = 'e'): string {
  n++;
  return `${prefix.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** A plugins entity (defaults as the schema would fill them are up to the caller). */
export function pluginEntity(
  name: string,
  config: Record<string, unknown>,
  scope: {
    route?: string;
    service?: string;
    consumer?: string;
    enabled?: boolean;
    protocols?: string[];
  } = {},
): Record<string, unknown> {
  return {
    id: id('p'),
    name,
    config,
    enabled: scope.enabled ?? true,
    protocols: scope.protocols ?? ['grpc', 'grpcs', 'http', 'https'],
    route: scope.route === undefined ? null : { id: scope.route },
    service: scope.service === undefined ? null : { id: scope.service },
    consumer: scope.consumer === undefined ? null : { id: scope.consumer },
  };
}
