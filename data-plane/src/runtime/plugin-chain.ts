/**
 * The seam for the plugin runtime (another helper fills it): one chain per route, compiled with
 * the Runtime. The proxy calls a phase only when the chain is not empty, so a route without
 * plugins costs one boolean test per request.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Match } from '../router/index.ts';

/** What a phase sees of the request in flight. Grows with the plugin SDK. */
export interface PhaseContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly match: Match;
}

/**
 * Kong's phases. `rewrite` and `access` may answer the request themselves (by ending `res`), in
 * which case nothing is proxied; `log` runs after the response, never throws into the proxy.
 */
export interface PluginChain {
  readonly empty: boolean;
  rewrite(ctx: PhaseContext): void | Promise<void>;
  access(ctx: PhaseContext): void | Promise<void>;
  header(ctx: PhaseContext): void;
  body(ctx: PhaseContext, chunk: Buffer): Buffer;
  log(ctx: PhaseContext): void;
}

function noop(): void {}

function passBody(_ctx: PhaseContext, chunk: Buffer): Buffer {
  return chunk;
}

export const EMPTY_PLUGIN_CHAIN: PluginChain = Object.freeze({
  empty: true,
  rewrite: noop,
  access: noop,
  header: noop,
  body: passBody,
  log: noop,
});
