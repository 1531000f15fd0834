/**
 * The log serializer's record (Kong 3.10 kong/pdk/log.lua `serialize()` for the http subsystem):
 * what the logging plugins (file-log, http-log) write per request. Built once per request, in the
 * log phase, when a plugin first asks (`ctx.serialize()`).
 */

/** Kong's `build_tls_info`: present only for a request that came over TLS. */
export interface SerializedTls {
  readonly version: string;
  /** nginx's `$ssl_cipher`: OpenSSL's name of the cipher (`TLS_AES_256_GCM_SHA384`, `ECDHE-RSA-AES128-GCM-SHA256`). */
  readonly cipher: string;
  /** nginx's `$ssl_client_verify`: `NONE` without a client certificate. */
  readonly client_verify: string;
}

/** One upstream attempt (Kong's `ctx.balancer_data.tries[i]`). */
export interface SerializedTry {
  readonly ip: string;
  readonly port: number;
  /** Milliseconds since the epoch when the attempt started (HTTP records). */
  readonly balancer_start?: number;
  /** Milliseconds the balancer took to pick the peer (synchronous here: 0; HTTP records). */
  readonly balancer_latency?: number;
  /** Set on an attempt that failed: `failed`, and its code (502, or 504 for a timeout), as Kong's balancer. */
  readonly state?: 'failed';
  readonly code?: 502 | 504;
}

/** What Kong's http and stream records share. */
export interface SerializedCommon {
  /** The upstream attempt(s), in order, as Kong's balancer tries; absent when none was made. */
  readonly tries?: readonly SerializedTry[];
  /** The credential that authenticated (never on a stream: no authentication there). */
  readonly authenticated_entity?: { readonly id: string; readonly consumer_id?: string };
  readonly route?: Readonly<Record<string, unknown>>;
  readonly service?: Readonly<Record<string, unknown>>;
  /** The authenticated consumer (never on a stream). */
  readonly consumer?: Readonly<Record<string, unknown>>;
  /** The client's address (after trusted_ips / a trusted PROXY protocol header). */
  readonly client_ip: string;
  /** Milliseconds since the epoch when the request arrived (a session: when it was routed). */
  readonly started_at: number;
  readonly workspace_name: string;
}

export interface SerializedRecord extends SerializedCommon {
  readonly request: {
    readonly id: string;
    /** The request target as received (nginx's `$request_uri`). */
    readonly uri: string;
    readonly url: string;
    /** Kong's `kong.request.get_query()`: a value per key, an array for a repeated key, `true` for a bare key. */
    readonly querystring: Record<string, string | true | (string | true)[]>;
    readonly method: string;
    /** Lowercase names; `authorization` and `proxy-authorization` read `REDACTED`. */
    readonly headers: Record<string, string | string[]>;
    /** Bytes of the request (request line, headers, body), nginx's `$request_length`. */
    readonly size: number;
    readonly tls?: SerializedTls;
  };
  readonly upstream_uri: string;
  /** The upstream's status as nginx's `$upstream_status` (a string; '' when none answered). */
  readonly upstream_status: string;
  readonly response: {
    readonly status: number;
    readonly headers: Record<string, string | string[]>;
    /** Bytes sent to the client (status line, headers, body; not the chunked framing), nginx's `$bytes_sent`. */
    readonly size: number;
  };
  /** Milliseconds: `kong` Kong's own time, `proxy` the upstream's (-1: none), `request` the total. */
  readonly latencies: {
    readonly kong: number;
    readonly proxy: number;
    readonly request: number;
    readonly receive: number;
  };
  /** Kong's response source: `upstream` (the service answered) or `kong` (an exit or an error). */
  readonly source: 'upstream' | 'kong';
}
