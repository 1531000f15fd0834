/**
 * A real grpc-js server and client for the gRPC proxy tests, without a .proto: the service
 * `test.Echo` carries raw bytes (Buffers) in all four call shapes, with grpc-js's own framing,
 * metadata, trailers and deadlines.
 *   Unary        /test.Echo/Unary        answers the request's bytes, trailer `x-trailer: done`,
 *                                        and the request's `x-echo` metadata back as `x-echo`
 *   ServerStream /test.Echo/ServerStream answers the request's bytes N times (N = first byte)
 *   ClientStream /test.Echo/ClientStream answers the concatenation of every message
 *   Bidi         /test.Echo/Bidi         answers each message as it comes
 *   Slow         /test.Echo/Slow         answers after 2 s (deadlines, read timeouts)
 *   Fail         /test.Echo/Fail         ends with status 5 NOT_FOUND, `no such thing`
 */
import {
  ChannelCredentials,
  Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ClientWritableStream,
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

function method(path: string, requestStream: boolean, responseStream: boolean) {
  return {
    path,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

export const ECHO_SERVICE: ServiceDefinition = {
  Unary: method('/test.Echo/Unary', false, false),
  ServerStream: method('/test.Echo/ServerStream', false, true),
  ClientStream: method('/test.Echo/ClientStream', true, false),
  Bidi: method('/test.Echo/Bidi', true, true),
  Slow: method('/test.Echo/Slow', false, false),
  Fail: method('/test.Echo/Fail', false, false),
};

export interface EchoServer extends AsyncDisposable {
  readonly port: number;
  /** The metadata of every call received, in order. */
  readonly received: Metadata[];
}

type Unary = ServerUnaryCall<Buffer, Buffer>;
type Reply = sendUnaryData<Buffer>;

/** The echo server on 127.0.0.1, plaintext (h2c), or TLS with `tls`. */
export async function echoServer(tls?: { readonly cert: string; readonly key: string }): Promise<EchoServer> {
  const server = new Server();
  const received: Metadata[] = [];
  server.addService(ECHO_SERVICE, {
    Unary(call: Unary, callback: Reply) {
      received.push(call.metadata);
      const echo = call.metadata.get('x-echo');
      if (echo.length > 0) {
        const head = new Metadata();
        head.set('x-echo', String(echo[0]));
        call.sendMetadata(head);
      }
      const trailer = new Metadata();
      trailer.set('x-trailer', 'done');
      callback(null, call.request, trailer);
    },
    ServerStream(call: ServerWritableStream<Buffer, Buffer>) {
      received.push(call.metadata);
      const n = call.request[0] ?? 1;
      for (let i = 0; i < n; i++) call.write(call.request);
      call.end();
    },
    ClientStream(call: ServerReadableStream<Buffer, Buffer>, callback: Reply) {
      received.push(call.metadata);
      const parts: Buffer[] = [];
      call.on('data', (b: Buffer) => parts.push(b));
      call.on('end', () => callback(null, Buffer.concat(parts)));
    },
    Bidi(call: ServerDuplexStream<Buffer, Buffer>) {
      received.push(call.metadata);
      call.on('data', (b: Buffer) => call.write(b));
      call.on('end', () => call.end());
    },
    Slow(call: Unary, callback: Reply) {
      received.push(call.metadata);
      const timer = setTimeout(() => callback(null, call.request), 2000);
      call.on('cancelled', () => clearTimeout(timer));
    },
    Fail(call: Unary, callback: Reply) {
      received.push(call.metadata);
      callback({ code: status.NOT_FOUND, details: 'no such thing' });
    },
  });
  const credentials =
    tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(null, [
          { cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) },
        ]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port,
    received,
    async [Symbol.asyncDispose]() {
      server.forceShutdown();
    },
  };
}

/**
 * A client of the echo service at `target` (`127.0.0.1:port`), plaintext, or TLS trusting any
 * certificate; `authority` is the `:authority` its calls send (routes on hosts).
 */
export function echoClient(
  target: string,
  tls?: { readonly servername: string },
  authority?: string,
): Client {
  const credentials =
    tls === undefined
      ? ChannelCredentials.createInsecure()
      : ChannelCredentials.createSsl(null, null, null, {
          checkServerIdentity: () => undefined,
          rejectUnauthorized: false,
        });
  const options = {
    ...(tls === undefined
      ? {}
      : { 'grpc.ssl_target_name_override': tls.servername, 'grpc.default_authority': tls.servername }),
    ...(authority === undefined ? {} : { 'grpc.default_authority': authority }),
  };
  return new Client(target, credentials, options);
}

export interface CallResult<T> {
  readonly error: ServiceError | null;
  readonly value: T | undefined;
  /** The response's head metadata. */
  readonly headers: Metadata | undefined;
  /** The trailers: the call's status metadata. */
  readonly trailers: Metadata | undefined;
}

interface CallOptions {
  readonly metadata?: Metadata;
  readonly deadlineMs?: number;
}

function grpcOptions(options: CallOptions): { deadline?: number } {
  return options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
}

function watch(
  call:
    | ClientUnaryCall
    | ClientReadableStream<Buffer>
    | ClientWritableStream<Buffer>
    | ClientDuplexStream<Buffer, Buffer>,
  state: { headers?: Metadata; trailers?: Metadata },
): void {
  call.on('metadata', (m: Metadata) => {
    state.headers = m;
  });
  call.on('status', (s: { metadata: Metadata }) => {
    state.trailers = s.metadata;
  });
}

/** A unary call (`name`: Unary, Slow or Fail). */
export function unary(
  client: Client,
  name: string,
  payload: Buffer,
  options: CallOptions = {},
): Promise<CallResult<Buffer>> {
  const def = ECHO_SERVICE[name]!;
  return new Promise((resolve) => {
    const state: { headers?: Metadata; trailers?: Metadata } = {};
    const call = client.makeUnaryRequest(
      def.path,
      identity,
      identity,
      payload,
      options.metadata ?? new Metadata(),
      grpcOptions(options),
      (error, value) =>
        setImmediate(() => resolve({ error, value, headers: state.headers, trailers: state.trailers })),
    );
    watch(call, state);
  });
}

/** A server-streaming call: every message received. */
export function serverStream(
  client: Client,
  payload: Buffer,
  options: CallOptions = {},
): Promise<CallResult<Buffer[]>> {
  return new Promise((resolve) => {
    const state: { headers?: Metadata; trailers?: Metadata } = {};
    const call = client.makeServerStreamRequest(
      ECHO_SERVICE.ServerStream!.path,
      identity,
      identity,
      payload,
      options.metadata ?? new Metadata(),
      grpcOptions(options),
    );
    watch(call, state);
    const got: Buffer[] = [];
    let error: ServiceError | null = null;
    call.on('data', (b: Buffer) => got.push(b));
    call.on('error', (e: ServiceError) => {
      error = e;
    });
    call.on('status', () =>
      setImmediate(() => resolve({ error, value: got, headers: state.headers, trailers: state.trailers })),
    );
  });
}

/** A client-streaming call: `parts` sent in turn, the answer. */
export function clientStream(
  client: Client,
  parts: readonly Buffer[],
  options: CallOptions = {},
): Promise<CallResult<Buffer>> {
  return new Promise((resolve) => {
    const state: { headers?: Metadata; trailers?: Metadata } = {};
    const call = client.makeClientStreamRequest(
      ECHO_SERVICE.ClientStream!.path,
      identity,
      identity,
      options.metadata ?? new Metadata(),
      grpcOptions(options),
      (error, value) =>
        setImmediate(() => resolve({ error, value, headers: state.headers, trailers: state.trailers })),
    );
    watch(call, state);
    for (const part of parts) call.write(part);
    call.end();
  });
}

/**
 * A bidirectional call that sends each part only after the answer to the previous one came back
 * (a ping-pong: it can only finish if both directions flow at once).
 */
export function bidiPingPong(
  client: Client,
  parts: readonly Buffer[],
  options: CallOptions = {},
): Promise<CallResult<Buffer[]>> {
  return new Promise((resolve) => {
    const state: { headers?: Metadata; trailers?: Metadata } = {};
    const call = client.makeBidiStreamRequest(
      ECHO_SERVICE.Bidi!.path,
      identity,
      identity,
      options.metadata ?? new Metadata(),
      grpcOptions(options),
    );
    watch(call, state);
    const got: Buffer[] = [];
    let error: ServiceError | null = null;
    let next = 0;
    const send = (): void => {
      if (next < parts.length) call.write(parts[next++]!);
      else call.end();
    };
    call.on('data', (b: Buffer) => {
      got.push(b);
      send();
    });
    call.on('error', (e: ServiceError) => {
      error = e;
    });
    call.on('status', () =>
      setImmediate(() => resolve({ error, value: got, headers: state.headers, trailers: state.trailers })),
    );
    send();
  });
}
