/**
 * An undici Dispatcher over node:http2, for gRPC services (`grpc`: h2c with prior knowledge;
 * `grpcs`: TLS with ALPN h2). The proxy's call objects (proxy/forward.ts, proxy/grpc-call.ts)
 * are undici dispatch handlers; this dispatcher drives them with the same calls undici makes, so
 * the attempt machine, retries, passive health and the response path stay one.
 *
 * Why not undici's own HTTP/2 client: it completes a response on the stream's 'end', and node
 * may emit 'end' before 'trailers' (both are queued on the same tick when the trailing HEADERS
 * frame carries END_STREAM), so a gRPC call's `grpc-status` trailer is lost now and then — every
 * time in the proxy's flow. Here a response completes on 'close', after 'trailers'.
 *
 * One HTTP/2 session per dispatcher (an origin, a connect timeout, a TLS profile), opened on
 * first use and opened again after it closes or receives GOAWAY; calls multiplex on it.
 */

import { type ClientHttp2Session, type ClientHttp2Stream, constants, connect as h2connect } from 'node:http2';
import type { LookupFunction } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import type { Dispatcher } from 'undici';
import { Dispatcher as DispatcherBase } from './undici-parts.ts';

const { NGHTTP2_CANCEL } = constants;

export interface H2DispatcherOptions {
  /** Milliseconds to open the session (TCP, and TLS for grpcs). */
  readonly connectTimeout: number;
  /** TLS options for grpcs (see tls.ts tlsConnectOptions); undefined for h2c. */
  readonly tls?: ConnectionOptions | undefined;
  readonly lookup?: LookupFunction | undefined;
}

/**
 * A request body that writes itself to the upstream stream (proxy/grpc-body.ts: the client's
 * stream chunk by chunk, no pipe), calling `fail` when it cannot finish.
 */
export interface PumpableBody {
  pump(sink: Writable, fail: (err: Error) => void): void;
}

function isPumpable(body: unknown): body is PumpableBody {
  return typeof (body as Partial<PumpableBody> | null)?.pump === 'function';
}

/** An upstream failure with the code the attempt machine classifies (upstream/failure.ts). */
class UpstreamError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

type Headers = Record<string, string | string[]>;

/** The dispatch's flat `[name, value, …]` (or object) headers as an HTTP/2 header object. */
function h2Headers(options: Dispatcher.DispatchOptions, scheme: string, authority: string): Headers {
  const out: Headers = {
    ':method': options.method,
    ':path': options.path,
    ':scheme': scheme,
    ':authority': authority,
  };
  const add = (name: string, value: string | string[] | undefined): void => {
    if (value === undefined) return;
    const key = name.toLowerCase();
    if (key === 'host') {
      out[':authority'] = Array.isArray(value) ? value[0]! : value;
      return;
    }
    // Connection-specific headers are not allowed in HTTP/2 (RFC 9113 8.2.2); TE only as trailers.
    if (key === 'connection' || key === 'keep-alive' || key === 'transfer-encoding' || key === 'upgrade')
      return;
    if (key === 'te') {
      // Once, whoever set it (the gRPC call, a plugin such as grpc-web): a list is refused by node.
      if (value === 'trailers') out.te = 'trailers';
      return;
    }
    const prev = out[key];
    out[key] = prev === undefined ? value : ([] as string[]).concat(prev, value);
  };
  const headers = options.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) add(String(headers[i]), String(headers[i + 1]));
  } else if (headers !== null && headers !== undefined) {
    for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>))
      add(name, value);
  }
  return out;
}

/**
 * The response's headers without pseudo-headers, flat, as undici's `controller.rawHeaders`, as
 * strings (node:http2 gives strings; no Buffer per name and value to be decoded again).
 */
function rawHeadersOf(headers: Record<string, string | string[] | undefined>): string[] {
  const raw: string[] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ':' */) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) raw.push(name, String(one));
    else raw.push(name, String(value));
  }
  return raw;
}

/** One call: the controller its handler gets, and the stream's events turned into handler calls. */
class H2Call implements Dispatcher.DispatchController {
  readonly #handler: Dispatcher.DispatchHandler;
  #stream: ClientHttp2Stream | undefined = undefined;
  #timer: NodeJS.Timeout | undefined = undefined;
  #done = false;
  #ended = false;
  #closed = false;
  #trailers: Record<string, string | string[]> = {};
  aborted = false;
  paused = false;
  reason: Error | null = null;
  rawHeaders: string[] | undefined = undefined;

  /** undici's `controller.rawTrailers`: made when read (the proxy reads the trailers object). */
  get rawTrailers(): string[] | undefined {
    return this.#closed ? rawHeadersOf(this.#trailers) : undefined;
  }

  constructor(handler: Dispatcher.DispatchHandler) {
    this.#handler = handler;
  }

  pause(): void {
    this.paused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.paused = false;
    this.#stream?.resume();
  }

  abort(reason: Error): void {
    if (this.#done) return;
    this.aborted = true;
    this.reason = reason;
    this.#fail(reason);
  }

  /** Starts the call on an open session. */
  start(
    session: ClientHttp2Session,
    options: Dispatcher.DispatchOptions,
    scheme: string,
    authority: string,
  ): void {
    this.#handler.onRequestStart?.(this, {});
    if (this.#done) return;
    const body = options.body as Buffer | Readable | PumpableBody | string | null | undefined;
    const empty = body === null || body === undefined;
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(h2Headers(options, scheme, authority), { endStream: empty });
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    this.#stream = stream;
    stream.on('response', (headers) => this.#onResponse(headers as Record<string, string>, options));
    stream.on('data', (chunk: Buffer) => {
      if (!this.#done) this.#handler.onResponseData?.(this, chunk);
    });
    stream.on('trailers', (trailers) => {
      this.#trailers = trailers as Record<string, string | string[]>;
    });
    stream.on('end', () => {
      this.#ended = true;
    });
    stream.on('error', (err) => this.#fail(err));
    stream.on('close', () => this.#onClose(stream));
    this.#arm(options.headersTimeout, 'UND_ERR_HEADERS_TIMEOUT', 'upstream headers timeout');
    // The request is on its way (the session is open): a failure from here is not retried.
    (this.#handler as { onBodySent?: (chunk: unknown) => void }).onBodySent?.(undefined);
    if (empty) return;
    if (Buffer.isBuffer(body) || typeof body === 'string') {
      stream.end(body);
      return;
    }
    if (isPumpable(body)) {
      body.pump(stream, (err) => this.#fail(err));
      return;
    }
    body.on('error', (err: Error) => this.#fail(err));
    body.pipe(stream);
  }

  #arm(ms: number | null | undefined, code: string, message: string): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (ms === null || ms === undefined || ms <= 0) return;
    this.#timer = setTimeout(() => this.#fail(new UpstreamError(message, code)), ms);
    this.#timer.unref();
  }

  #onResponse(headers: Record<string, string>, options: Dispatcher.DispatchOptions): void {
    if (this.#done) return;
    const stream = this.#stream!;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const bodyTimeout = options.bodyTimeout;
    if (bodyTimeout !== null && bodyTimeout !== undefined && bodyTimeout > 0) {
      stream.setTimeout(bodyTimeout, () =>
        this.#fail(new UpstreamError('upstream body timeout', 'UND_ERR_BODY_TIMEOUT')),
      );
    }
    const status = Number(headers[':status']);
    this.rawHeaders = rawHeadersOf(headers);
    this.#handler.onResponseStart?.(this, status, headers, '');
    if (this.paused) stream.pause();
  }

  #onClose(stream: ClientHttp2Stream): void {
    if (this.#done) return;
    if (this.#ended && stream.rstCode === constants.NGHTTP2_NO_ERROR) {
      this.#done = true;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#closed = true;
      this.#handler.onResponseEnd?.(this, this.#trailers);
      return;
    }
    this.#fail(new UpstreamError(`upstream stream closed (code ${stream.rstCode})`, 'UND_ERR_SOCKET'));
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const stream = this.#stream;
    if (stream !== undefined && !stream.closed) stream.close(NGHTTP2_CANCEL);
    this.#handler.onResponseError?.(this, err);
  }
}

export class H2Dispatcher extends DispatcherBase {
  readonly #origin: URL;
  readonly #authority: string;
  readonly #scheme: string;
  readonly #options: H2DispatcherOptions;
  #session: ClientHttp2Session | undefined = undefined;
  #closed = false;

  constructor(origin: string, options: H2DispatcherOptions) {
    super();
    this.#origin = new URL(origin);
    this.#authority = this.#origin.host;
    this.#scheme = this.#origin.protocol === 'https:' ? 'https' : 'http';
    this.#options = options;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const call = new H2Call(handler);
    if (this.#closed) {
      queueMicrotask(() => call.abort(new UpstreamError('the dispatcher is closed', 'UND_ERR_DESTROYED')));
      return false;
    }
    const session = this.#sessionFor();
    if (session.connecting) {
      const onConnect = (): void => {
        session.off('close', onClose);
        call.start(session, options, this.#scheme, this.#authority);
      };
      const onClose = (): void => {
        session.off('connect', onConnect);
        call.abort(this.#connectError ?? new UpstreamError('upstream connection closed', 'ECONNRESET'));
      };
      session.once('connect', onConnect);
      session.once('close', onClose);
    } else {
      queueMicrotask(() => call.start(session, options, this.#scheme, this.#authority));
    }
    return true;
  }

  #connectError: Error | undefined = undefined;

  #sessionFor(): ClientHttp2Session {
    const current = this.#session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const { connectTimeout, tls, lookup } = this.#options;
    this.#connectError = undefined;
    const session = h2connect(this.#origin, {
      ...(tls ?? {}),
      ...(tls === undefined
        ? {}
        : { ALPNProtocols: ['h2'], servername: tls.servername ?? this.#origin.hostname }),
      ...(lookup === undefined ? {} : { lookup }),
      // Not an AbortSignal: nothing else runs on a DP's sessions.
    } as Parameters<typeof h2connect>[1]);
    this.#session = session;
    const timer =
      connectTimeout > 0
        ? setTimeout(() => {
            this.#connectError = new UpstreamError('upstream connect timeout', 'UND_ERR_CONNECT_TIMEOUT');
            session.destroy();
          }, connectTimeout)
        : undefined;
    timer?.unref();
    session.once('connect', () => {
      if (timer !== undefined) clearTimeout(timer);
    });
    session.on('error', (err: Error) => {
      if (timer !== undefined) clearTimeout(timer);
      this.#connectError ??= err;
    });
    session.once('goaway', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      if (this.#session === session) this.#session = undefined;
    });
    return session;
  }

  override async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined || session.closed) return;
    await new Promise<void>((resolve) => session.close(resolve));
  }

  override async destroy(): Promise<void> {
    this.#closed = true;
    this.#session?.destroy();
    this.#session = undefined;
  }
}
