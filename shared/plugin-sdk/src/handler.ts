/**
 * A plugin's handler: its name, version, priority and phase functions. The contract of each
 * phase — what runs, and what happens on a throw or an early `ctx.response.exit` — is part of
 * the SDK, as go-control-plane's Callbacks are:
 *
 * | phase   | runs                                                        | on throw                                   | on exit                               |
 * |---------|-------------------------------------------------------------|--------------------------------------------|---------------------------------------|
 * | rewrite | before access; only global plugins (no route/service/consumer) | 500 Kong body, logged with plugin name; later phases skipped except log | later rewrite/access skipped, service not called; header, log run |
 * | access  | after rewrite, before the service is called; may await      | as rewrite                                 | as rewrite                            |
 * | header  | before the response headers are written (proxied or exit)   | 500 Kong body if nothing was sent, logged  | proxied only, `exit(status)` alone (Kong's exit in header_filter): that status, the headers as edited, no body; later header phases skipped |
 * | body    | per response chunk of a proxied response; returns the chunk | connection closed, logged                  | not available                         |
 * | log     | once the response finished or the client went away         | logged, never reaches the client           | not available                         |
 *
 * Phases run in priority order (higher first); each plugin applies with exactly one
 * configuration, chosen by Kong's precedence (consumer+route+service … global). A plugin
 * configured for a consumer runs only when an earlier (higher-priority) plugin authenticated
 * that consumer.
 *
 * What a plugin hands the context is checked there and then: an exit status outside 100–599, a
 * header name that is not an HTTP token, a header value or raw query string with CR, LF, NUL or
 * another control character throws a PluginValueError (TP_PLUGIN_VALUE) in the phase — the throw
 * rules above apply. A body phase must return a Buffer. process.exit, process.abort and
 * process.kill of the worker (or its parent) throw a PluginExitError (TP_PLUGIN_EXIT) in plugin
 * code, its later callbacks included: a plugin ends its request, never the worker. An error that
 * escapes a plugin's own timers or promises is logged with the plugin's name; the worker goes on.
 */
import type { PluginContext } from './context.ts';

/** The plugin's validated `config` (its schema's defaults filled). */
export type PluginConfig = Readonly<Record<string, unknown>>;

export type PhaseFunction<C> = (ctx: PluginContext, conf: C) => void | Promise<void>;
export type SyncPhaseFunction<C> = (ctx: PluginContext, conf: C) => void;
/** Returns the chunk to send (the same Buffer to pass it through); `eof` marks the last call. */
export type BodyPhaseFunction<C> = (ctx: PluginContext, conf: C, chunk: Buffer, eof: boolean) => Buffer;

export interface PluginHandler<C = PluginConfig> {
  readonly name: string;
  /** The plugin's own version (semver), reported to the control plane. */
  readonly version: string;
  /** Higher runs first (Kong's PRIORITY: jwt 1450, key-auth 1250, basic-auth 1100, acl 950). */
  readonly priority: number;
  /** The SDK version the plugin was written for; the loader refuses another major version. */
  readonly sdkVersion?: string;
  readonly rewrite?: PhaseFunction<C>;
  readonly access?: PhaseFunction<C>;
  readonly header?: SyncPhaseFunction<C>;
  readonly body?: BodyPhaseFunction<C>;
  readonly log?: SyncPhaseFunction<C>;
  /**
   * What the node's Admin API may ask of this plugin's state in each proxy worker (proxy-cache:
   * read or purge cached entries): called in every worker with the operation the Admin API
   * sends; the reply (structured-cloneable) goes back to it. Plugin-defined; synchronous.
   */
  readonly nodeAdmin?: (op: unknown) => unknown;
}

/** What `handler.ts` of a plugin folder exports. */
export interface PluginHandlerModule {
  readonly handler: PluginHandler;
}

/**
 * Types a handler's phases with its config (the runtime only ever passes a config its schema
 * validated) and proves the handler meets the contract.
 */
export function definePluginHandler<C>(handler: PluginHandler<C>): PluginHandler {
  return handler as unknown as PluginHandler;
}
