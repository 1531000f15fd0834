import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { credentials, Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  Ack,
  ConfigSyncClient,
  type ConfigSyncServer,
  ConfigSyncService,
  ControlPlaneMessage,
  DataPlaneMessage,
  Encoding,
  type Hello,
  Op,
  type Snapshot,
} from './index.ts';

const hello: Hello = {
  nodeId: '5b9a7e0c-3f4e-4a53-9c1b-1f0f3d2c6a11',
  hostname: 'dp-1',
  turnpikeVersion: '0.1.0',
  plugins: [
    { name: 'key-auth', version: '3.9.0' },
    { name: 'rate-limiting', version: '3.9.0' },
  ],
  configVersion: 41,
  configHash: 'a3f1',
  labels: ['region:eu-west', 'tier:edge'],
};

const snapshot: Snapshot = {
  version: 42,
  hash: 'b7c2',
  encoding: Encoding.ENCODING_GZIP,
  payload: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
  uncompressedSize: 1234,
};

const dataPlaneMessages: DataPlaneMessage[] = [
  { kind: { $case: 'hello', value: hello } },
  { kind: { $case: 'ack', value: { version: 42, hash: 'b7c2', applyMs: 17 } } },
  {
    kind: {
      $case: 'nack',
      value: { version: 43, error: 'invalid route', details: ['routes.1: bad path'], code: 'TP_WORKER' },
    },
  },
  {
    kind: {
      $case: 'heartbeat',
      value: { configVersion: 42, configHash: 'b7c2', sentAtMs: 1_764_000_000_123 },
    },
  },
  {
    kind: {
      $case: 'healthReport',
      value: {
        upstreams: [
          {
            upstreamId: '5e87bcae-fb20-48f7-a2c9-417023ad5769',
            balancer: Buffer.from('{"health":"HEALTHY"}'),
            targets: [
              {
                targetId: '71f38503-673d-4563-a3ab-87ac0f6e7f25',
                target: '10.0.0.3:8080',
                health: 'UNHEALTHY',
                data: Buffer.from('{}'),
              },
            ],
          },
        ],
      },
    },
  },
  { kind: { $case: 'commandResult', value: { requestId: 7, error: 'target not found', found: true } } },
];

const controlPlaneMessages: ControlPlaneMessage[] = [
  { kind: { $case: 'snapshot', value: snapshot } },
  {
    kind: {
      $case: 'delta',
      value: {
        fromVersion: 42,
        version: 43,
        hash: 'c9d4',
        changes: [
          {
            entity: 'routes',
            id: '0e3a4b9c-1d2e-4f50-8a6b-7c8d9e0f1a2b',
            op: Op.OP_UPSERT,
            value: Buffer.from('{"paths":["/a"]}'),
          },
          {
            entity: 'services',
            id: '6f1e2d3c-4b5a-4968-8776-655443322110',
            op: Op.OP_DELETE,
            value: Buffer.alloc(0),
          },
        ],
      },
    },
  },
  { kind: { $case: 'heartbeat', value: { sentAtMs: 1_764_000_000_456, latestVersion: 43 } } },
  {
    kind: {
      $case: 'refusal',
      value: {
        syncStatus: 'plugin_set_incompatible',
        message: 'plugin "acme" is configured but not installed',
      },
    },
  },
  {
    kind: {
      $case: 'setTargetHealth',
      value: {
        requestId: 7,
        upstreamId: '5e87bcae-fb20-48f7-a2c9-417023ad5769',
        host: 'api.internal',
        port: 8080,
        addressIp: '10.0.0.3',
        addressPort: 8080,
        healthy: false,
      },
    },
  },
];

describe('generated sync messages', () => {
  for (const message of dataPlaneMessages) {
    it(`a data plane ${message.kind?.$case} survives encode then decode unchanged`, () => {
      const bytes = DataPlaneMessage.encode(message).finish();
      assert.deepEqual(DataPlaneMessage.decode(bytes), message);
    });
  }

  for (const message of controlPlaneMessages) {
    it(`a control plane ${message.kind?.$case} survives encode then decode unchanged`, () => {
      const bytes = ControlPlaneMessage.encode(message).finish();
      assert.deepEqual(ControlPlaneMessage.decode(bytes), message);
    });
  }

  it('a message with no kind set decodes with kind undefined, so receivers can ignore it', () => {
    assert.equal(DataPlaneMessage.decode(new Uint8Array()).kind, undefined);
    assert.equal(ControlPlaneMessage.decode(new Uint8Array()).kind, undefined);
  });

  it('a 64-bit version beyond Number.MAX_SAFE_INTEGER is refused rather than rounded', () => {
    // field 1 (version), varint 2^53 + 1
    const bytes = new BinaryWriter()
      .uint32(8)
      .uint64(2n ** 53n + 1n)
      .finish();
    assert.throws(() => Ack.decode(bytes), /MAX_SAFE_INTEGER/);
  });

  it('the generated code uses only erasable TypeScript, so Node runs it by stripping types', async () => {
    const source = await readFile(new URL('./gen/turnpike/sync/v1/sync.ts', import.meta.url), 'utf8');
    assert.doesNotMatch(source, /^\s*(export\s+)?(const\s+)?enum\s/m, 'no TypeScript enums');
    assert.doesNotMatch(
      source,
      /constructor\s*\([^)]*\b(public|private|protected|readonly)\s/,
      'no constructor parameter properties',
    );
    // ts-proto's enumsAsLiterals emits `export namespace Encoding { export type … }`: a namespace
    // holding only type aliases, which type stripping erases. Anything else inside would not be.
    for (const [, body] of source.matchAll(/namespace\s+\w+\s*\{([^}]*)\}/g)) {
      for (const line of (body ?? '').split('\n').filter((l) => l.trim() !== '')) {
        assert.match(line, /^\s*export type \w+ = typeof [\w.]+;$/, `namespace holds only types: ${line}`);
      }
    }
  });
});

describe('generated ConfigSync service over grpc-js', () => {
  it('a data plane says Hello, receives a Snapshot and acknowledges it on 127.0.0.1', async () => {
    const received: DataPlaneMessage[] = [];
    const { promise: acked, resolve: ack } = Promise.withResolvers<void>();
    const implementation: ConfigSyncServer = {
      sync(call: ServerDuplexStream<DataPlaneMessage, ControlPlaneMessage>) {
        call.on('data', (message: DataPlaneMessage) => {
          received.push(message);
          if (message.kind?.$case === 'hello') call.write({ kind: { $case: 'snapshot', value: snapshot } });
          if (message.kind?.$case === 'ack') {
            ack();
            call.end();
          }
        });
      },
    };
    const server = new Server();
    server.addService(ConfigSyncService, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const client = new ConfigSyncClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const stream = client.sync();
      stream.write({ kind: { $case: 'hello', value: hello } } satisfies DataPlaneMessage);
      const [reply] = (await once(stream, 'data')) as [ControlPlaneMessage];
      assert.deepEqual(reply, { kind: { $case: 'snapshot', value: snapshot } });
      stream.write({ kind: { $case: 'ack', value: { version: 42, hash: 'b7c2', applyMs: 3 } } });
      await acked;
      stream.end();
      await once(stream, 'end');
      assert.deepEqual(
        received.map((m) => m.kind?.$case),
        ['hello', 'ack'],
      );
      assert.deepEqual(received[0], { kind: { $case: 'hello', value: hello } });
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
