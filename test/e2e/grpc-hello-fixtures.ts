/**
 * Kong's gRPC test service (spec/fixtures/grpc/hello.proto, `hello.HelloService`) on a real
 * grpc-js server, its messages encoded with protobufjs from the .proto: what the grpc-web and
 * grpc-gateway tests call through the gateway.
 *   SayHello       answers `hello <greeting>` (`greeting` "fail": status 5 NOT_FOUND, `no such greeting`)
 *   LotsOfReplies  answers `hello <greeting> <i>` for i = 1..3 (server streaming)
 *   UnknownMethod  (helloworld.proto only) not implemented: status 12
 */
import { join } from 'node:path';
import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const HELLO_PROTO = join(import.meta.dirname, '../fixtures/grpc/hello.proto');
export const HELLOWORLD_PROTO = join(import.meta.dirname, '../fixtures/grpc/helloworld.proto');

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
