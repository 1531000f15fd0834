/**
 * Kong's gRPC test service (spec/fixtures/grpc/hello.proto, `hello.HelloService`) on a real
 * grpc-js server, its messages encoded with protobufjs from the .proto (what the grpc-web test
 * calls through the gateway), and Kong's grpc-gateway target (`targetservice.Bouncer`) below.
 *   SayHello       answers `hello <greeting>` (`greeting` "fail": status 5 NOT_FOUND, `no such greeting`)
 *   LotsOfReplies  answers `hello <greeting> <i>` for i = 1..3 (server streaming)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const HELLO_PROTO = join(import.meta.dirname, '../fixtures/grpc/hello.proto');

const root = protobuf.loadSync(HELLO_PROTO);
export const HelloRequest = root.lookupType('hello.HelloRequest');
export const HelloResponse = root.lookupType('hello.HelloResponse');

const encode = (type: protobuf.Type) => (value: object) =>
  Buffer.from(type.encode(type.fromObject(value)).finish());
const decode = (type: protobuf.Type) => (bytes: Buffer) =>
  type.toObject(type.decode(bytes)) as Record<string, unknown>;

function method(name: string, responseStream: boolean) {
  return {
    path: `/hello.HelloService/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: encode(HelloRequest),
    requestDeserialize: decode(HelloRequest),
    responseSerialize: encode(HelloResponse),
    responseDeserialize: decode(HelloResponse),
  };
}

const HELLO_SERVICE: ServiceDefinition = {
  SayHello: method('SayHello', false),
  LotsOfReplies: method('LotsOfReplies', true),
};

export interface HelloServer extends AsyncDisposable {
  readonly port: number;
  /** Each call's request message and metadata, in order. */
  readonly received: { path: string; request: Record<string, unknown>; te: unknown }[];
}

type Req = { request: Record<string, unknown>; metadata: { get(k: string): unknown[] } };

export async function helloServer(): Promise<HelloServer> {
  const server = new Server();
  const received: HelloServer['received'] = [];
  const implementation = {
    SayHello(call: Req, callback: (err: unknown, value?: object) => void) {
      received.push({ path: 'SayHello', request: call.request, te: call.metadata.get('te')[0] });
      const greeting = String(call.request.greeting ?? '');
      if (greeting === 'fail') callback({ code: status.NOT_FOUND, details: 'no such greeting' });
      else callback(null, { reply: `hello ${greeting}` });
    },
    LotsOfReplies(call: Req & { write(v: object): void; end(): void }) {
      received.push({ path: 'LotsOfReplies', request: call.request, te: undefined });
      for (let i = 1; i <= 3; i++) call.write({ reply: `hello ${String(call.request.greeting)} ${i}` });
      call.end();
    },
  };
  server.addService(HELLO_SERVICE, implementation as unknown as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    received,
    async [Symbol.asyncDispose]() {
      server.forceShutdown();
    },
  };
}

export const TARGET_PROTO = join(import.meta.dirname, '../fixtures/grpc/targetservice.proto');

type Message = Record<string, unknown>;

/**
 * Kong's grpc-gateway target (spec/fixtures/grpc/target/grpc-target.go, `targetservice.Bouncer`)
 * in grpc-js: SayHello, BounceIt (how long ago `when` was before `now`), GrowTail (tail one
 * longer), Echo; UnknownMethod is not implemented (status 12).
 */
export async function bouncerServer(): Promise<HelloServer> {
  // Imports from the fixtures folder (google/api/…, as Kong's), names as in the .proto.
  const target = new protobuf.Root();
  const bundled = dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));
  target.resolvePath = (_origin, file) => {
    if (isAbsolute(file)) return file;
    const local = join(dirname(TARGET_PROTO), file);
    return existsSync(local) ? local : join(bundled, file);
  };
  target.loadSync(TARGET_PROTO, { keepCase: true });
  const service = target.lookupService('targetservice.Bouncer');
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const m of service.methodsArray) {
    m.resolve();
    const input = m.resolvedRequestType!;
    const output = m.resolvedResponseType!;
    definition[m.name] = {
      path: `/targetservice.Bouncer/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: encode(input),
      requestDeserialize: (b: Buffer) => input.toObject(input.decode(b), { longs: Number }) as Message,
      responseSerialize: encode(output),
      responseDeserialize: decode(output),
    };
  }
  delete definition.UnknownMethod;
  const received: HelloServer['received'] = [];
  const unary =
    (name: string, answer: (m: Message) => Message) =>
    (call: Req, callback: (err: unknown, value?: object) => void) => {
      received.push({ path: name, request: call.request, te: call.metadata.get('te')[0] });
      callback(null, answer(call.request));
    };
  const seconds = (t: unknown) => Number((t as { seconds?: unknown } | undefined)?.seconds ?? 0);
  const implementation = {
    SayHello: unary('SayHello', (m) => ({
      reply: `hello ${String(m.greeting ?? '')}`,
      boolean_test: m.boolean_test === true,
    })),
    BounceIt: unary('BounceIt', (m) => {
      const ago = seconds(m.now) - seconds(m.when);
      const when = new Date(seconds(m.when) * 1000).toISOString().replace('.000Z', 'Z');
      return {
        reply: `hello ${String(m.message ?? '')}`,
        time_message: `${when} was ${Math.floor(ago / 60)}m${ago % 60}s ago`,
        now: m.now,
      };
    }),
    GrowTail: unary('GrowTail', (m) => {
      const tail = (m.tail ?? {}) as Message;
      return { ...m, tail: { ...tail, count: Number(tail.count ?? 0) + 1 } };
    }),
    Echo: unary('Echo', (m) => m),
  };
  const server = new Server();
  server.addService(
    definition as ServiceDefinition,
    implementation as unknown as UntypedServiceImplementation,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    received,
    async [Symbol.asyncDispose]() {
      server.forceShutdown();
    },
  };
}
