/**
 * The stream log phase (`handler.streamLog`): what a plugin sees of one `tcp`, `tls`,
 * `tls_passthrough` or `udp` session once it closed, and Kong's stream serializer record
 * (Kong 3.10 kong/pdk/log.lua `serialize()`, the stream subsystem's branch). A session is not an
 * HTTP request: it has no request, response, consumer or upstream headers, so its phase gets
 * this context, not the HTTP `PluginContext` (a plugin written against that keeps working).
 */
import type { PluginRoute, PluginService } from './context.ts';
import type { Logger } from './log.ts';
import type { SerializedCommon, SerializedTls } from './serialize.ts';

/** Kong's stream record: what file-log, http-log, tcp-log and udp-log write per session. */
export interface SerializedStreamRecord extends SerializedCommon {
  readonly session: {
    /** Kong's `build_tls_info`: only for a `tls` session (TLS terminated by the node); `cipher` is nginx's `$ssl_cipher` (OpenSSL's name). */
    readonly tls?: SerializedTls;
    /** Bytes received from the client (nginx's `$bytes_received`). */
    readonly received: number;
    /** Bytes sent to the client (nginx's `$bytes_sent`). */
    readonly sent: number;
    /** nginx's stream `$status`: 200 once the upstream was connected, 502 when no peer could be. */
    readonly status: number;
    /** The port the client connected to (Kong's `ctx.host_port or $server_port`). */
    readonly server_port: number;
  };
  readonly upstream: {
    /** Bytes received from the upstream (nginx's `$upstream_bytes_received`). */
    readonly received: number;
    /** Bytes sent to the upstream (nginx's `$upstream_bytes_sent`). */
    readonly sent: number;
  };
  /** Milliseconds: `kong` until the upstream connect started (Kong's KONG_PROXY_LATENCY), `session` the whole session (`$session_time`). */
  readonly latencies: { readonly kong: number; readonly session: number };
  /** Kong's `ctx.workspace` (a workspace id): absent, Turnpike has the one default workspace. */
  readonly workspace?: string;
}

/** What `streamLog` sees of a closed session. A frozen object, one per plugin of the session. */
export interface StreamLogContext {
  readonly route: PluginRoute;
  /** Undefined for a route without a service. */
  readonly service: PluginService | undefined;
  /** The plugin instance's private store, the same Map its HTTP phases get as `ctx.cache`. */
  readonly cache: Map<string, unknown>;
  /** Logs with the plugin's name. */
  readonly log: Logger;
  /** Kong's stream `kong.log.serialize()`: built on the first call, the same object after (shared by the session's plugins). */
  serialize(): SerializedStreamRecord;
}

/** The stream log phase: synchronous, as `log`; what it sends goes on after it returns. */
export type StreamLogFunction<C> = (ctx: StreamLogContext, conf: C) => void;
