/**
 * A plugin's handler: its name, version, priority and phase functions. The contract of each
 * phase — what runs, and what happens on a throw or an early `ctx.response.exit` — is part of
 * the SDK, as go-control-plane's Callbacks are:
 *
 * | phase     | runs                                                          | on throw                                   | on exit                               |
 * |-----------|---------------------------------------------------------------|--------------------------------------------|---------------------------------------|
 * | configure | once per instance, when a config version is compiled (not per request); synchronous | logged with the plugin name and instance id; every request the instance applies to gets Kong's 500 | not available |
 * | rewrite   | before access; only global plugins (no route/service/consumer) | 500 Kong body, logged with plugin name; later phases skipped except log | later rewrite/access skipped, service not called; header, log run |
 * | access    | after rewrite, before the service is called; sync, or returns a promise to await | as rewrite                      | as rewrite                            |
 * | header    | before the response headers are written (proxied or exit)     | 500 Kong body if nothing was sent, logged; later header phases skipped | proxied only, `exit(status)` alone (Kong's exit in header_filter): that status, the headers as edited, no body; later header phases skipped |
 * | body      | per response chunk of a proxied response; returns the chunk   | connection closed, logged; later body phases skipped | not available                 |
 * | log       | once the response finished or the client went away           | logged, never reaches the client           | not available                         |
| streamLog | once a stream session (tcp, tls, tls_passthrough, udp) closed, for instances whose `protocols` list its protocol | logged with the plugin name, the session is over already | not available |
 *
 * `streamLog` gets a StreamLogContext (./stream.ts: route, service, cache, log, `serialize()`,
 * Kong's stream record), never a PluginContext: `log` runs for HTTP requests only, so a plugin
 * written for HTTP is never handed a session. The instance for a stream route is chosen by Kong's
 * precedence without a consumer (route and service, route, service, global).
 *
 * A phase gets the request's PluginContext — a frozen object: the engine behind it is out of
 * reach — and the instance's `conf`: what `configure(config)` returned, or the validated config
 * when the handler has no configure. Rewrite and access may be plain functions: a chain whose
 * phases return nothing runs without a promise; one that returns a promise is awaited before the
 * next phase (write `async` only where something is awaited).
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
import type { StreamLogFunction } from './stream.ts';

/** The plugin's validated `config` (its schema's defaults filled). */
export type PluginConfig = Readonly<Record<string, unknown>>;

/** Rewrite and access: return nothing when done synchronously, a promise when something is awaited. */
export type PhaseFunction<C> = (ctx: PluginContext, conf: C) => void | Promise<void>;
export type SyncPhaseFunction<C> = (ctx: PluginContext, conf: C) => void;
/** Returns the chunk to send (the same Buffer to pass it through); `eof` marks the last call. */
export type BodyPhaseFunction<C> = (ctx: PluginContext, conf: C, chunk: Buffer, eof: boolean) => Buffer;

/**
 * Runs once per plugin instance when a configuration version is compiled — again only when that
 * instance's config changes — for the work a request should not repeat: parsing keys, compiling
 * patterns, precomputing limits. Returns what the phases get as `conf` (the config itself when it
 * returns undefined). Synchronous, and a function of the config and the instance's scope: no I/O,
 * no request state.
 */
export type ConfigureFunction<C, S> = (config: C, instance: PluginInstanceScope) => S | undefined;

/**
 * Which plugin instance `configure` compiles, and where it is scoped (Kong's `conf.__plugin_id`,
 * `conf.route_id`, `conf.service_id`): rate-limiting's redis keys name the plugin's route and
 * service, not the request's.
 */
export interface PluginInstanceScope {
  readonly id: string;
  /** Undefined when the instance is not scoped to one. */
  readonly routeId: string | undefined;
  readonly serviceId: string | undefined;
  readonly consumerId: string | undefined;
}

/**
 * `C` is the validated config; `S` what `configure` makes of it (the phases' `conf`), `C` when the
 * handler has no configure.
 */
export interface PluginHandler<C = PluginConfig, S = C> {
  readonly name: string;
  /** The plugin's own version (semver), reported to the control plane. */
  readonly version: string;
  /** Higher runs first (Kong's PRIORITY: jwt 1450, key-auth 1250, basic-auth 1100, acl 950). */
  readonly priority: number;
  /** The SDK version the plugin was written for; the loader refuses another major version. */
  readonly sdkVersion?: string;
  /** Per-instance precomputation at compile time (see ConfigureFunction). */
  readonly configure?: ConfigureFunction<C, S>;
  readonly rewrite?: PhaseFunction<S>;
  readonly access?: PhaseFunction<S>;
  readonly header?: SyncPhaseFunction<S>;
  readonly body?: BodyPhaseFunction<S>;
  readonly log?: SyncPhaseFunction<S>;
  /** The stream log phase (since SDK 1.3.0): a closed tcp/tls/udp session, see ./stream.ts. */
  readonly streamLog?: StreamLogFunction<S>;
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
 * validated) — or with what its `configure` returns — and proves the handler meets the contract.
 */
export function definePluginHandler<C, S = C>(handler: PluginHandler<C, S>): PluginHandler {
  return handler as unknown as PluginHandler;
}
