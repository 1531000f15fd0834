/**
 * tcp-log, udp-log and statsd end to end: one `turnpike start` (Admin API, store, sync, proxy worker), a
 * recording upstream, and the plugins' real receivers on loopback: a TCP server, a TLS server
 * (a throwaway CA's certificate) and a UDP socket. The assertions are on what arrives.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { startTraditionalNode, type TraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { issueCertificate, makeAuthority } from '../helpers/pki.ts';
import { closedPort, type RecordingUpstream, recordingUpstream } from './proxy-fixtures.ts';

/** A stream receiver: every newline-ended line parsed as JSON, and the connections it saw. */
interface LineReceiver {
  readonly port: number;
  readonly records: Record<string, unknown>[];
  /** Every line as received. */
  readonly lines: string[];
  readonly connections: { servername?: string | false | null; closed: boolean }[];
  close(): Promise<void>;
}

async function startLineReceiver(secure?: { certPem: string; keyPem: string }): Promise<LineReceiver> {
  const records: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const connections: LineReceiver['connections'] = [];
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket) => {
    const seen: LineReceiver['connections'][number] = {
      closed: false,
      ...(socket instanceof tls.TLSSocket ? { servername: socket.servername } : {}),
    };
    connections.push(seen);
    sockets.add(socket);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        lines.push(line);
        if (line.startsWith('{')) records.push(JSON.parse(line) as Record<string, unknown>);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
    socket.on('close', () => {
      seen.closed = true;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
  };
  const server = secure
    ? tls.createServer({ cert: secure.certPem, key: secure.keyPem }, onSocket)
    : net.createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    records,
    lines,
    connections,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let node: TraditionalNode;
let upstream: RecordingUpstream;
let adminUrl: string;
let proxyUrl: string;
let statusUrl: string;

async function routeWith(name: string, plugins: Record<string, unknown>[]): Promise<void> {
  const created = await http('POST', `${adminUrl}/services/s/routes`, { name, paths: [`/${name}`] });
  assert.equal(created.status, 201, created.text);
  for (const p of plugins) {
    const made = await http('POST', `${adminUrl}/routes/${name}/plugins`, p);
    assert.equal(made.status, 201, made.text);
  }
}

async function get(path: string): Promise<Response> {
  const res = await fetch(`${proxyUrl}${path}`);
  await res.text();
  return res;
}

/** Sends `/<route>/ready` until `received()` is true (route and plugin synced, delivery working). */
async function ready(route: string, received: () => boolean): Promise<void> {
  await eventually(
    async () => {
      await get(`/${route}/ready`);
      return received();
    },
    (ok) => ok,
  );
}

function uriOf(record: Record<string, unknown>): string {
  return (record.request as { uri: string }).uri;
}

async function droppedOnMetrics(plugin: string): Promise<number> {
  const text = await (await fetch(`${statusUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('turnpike_log_entries_dropped{') && l.includes(`plugin="${plugin}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('tcp-log, udp-log and statsd through a running node', () => {
  before(async () => {
    upstream = await recordingUpstream();
    node = await startTraditionalNode();
    adminUrl = node.adminUrl;
    proxyUrl = node.proxyUrl;
    statusUrl = node.statusUrl;
    const service = await http('POST', `${adminUrl}/services`, {
      name: 's',
      url: `http://127.0.0.1:${upstream.port}/base`,
    });
    assert.equal(service.status, 201, service.text);
  });
  after(async () => {
    await node?.[Symbol.asyncDispose]();
    await upstream?.[Symbol.asyncDispose]();
  });

  it('schemas: Kong defaults and Kong-shaped refusals', async () => {
    const tcp = await http('POST', `${adminUrl}/plugins`, {
      name: 'tcp-log',
      config: { host: '127.0.0.1', port: 9 },
    });
    assert.equal(tcp.status, 201, tcp.text);
    assert.deepEqual((tcp.body as { config: unknown }).config, {
      host: '127.0.0.1',
      port: 9,
      timeout: 10000,
      keepalive: 60000,
      tls: false,
      tls_sni: null,
      custom_fields_by_lua: null,
    });
    assert.equal(
      (await http('DELETE', `${adminUrl}/plugins/${(tcp.body as { id: string }).id}`)).status,
      204,
    );
    const udp = await http('POST', `${adminUrl}/plugins`, {
      name: 'udp-log',
      config: { host: 'logs.example.test', port: 514 },
    });
    assert.equal(udp.status, 201, udp.text);
    assert.deepEqual((udp.body as { config: unknown }).config, {
      host: 'logs.example.test',
      port: 514,
      timeout: 10000,
      custom_fields_by_lua: null,
    });
    assert.equal(
      (await http('DELETE', `${adminUrl}/plugins/${(udp.body as { id: string }).id}`)).status,
      204,
    );

    for (const name of ['tcp-log', 'udp-log']) {
      const missing = await http('POST', `${adminUrl}/plugins`, { name, config: {} });
      assert.equal(missing.status, 400, missing.text);
      assert.deepEqual((missing.body as { fields: unknown }).fields, {
        config: { host: 'required field missing', port: 'required field missing' },
      });
      const badPort = await http('POST', `${adminUrl}/plugins`, {
        name,
        config: { host: '127.0.0.1', port: 70000 },
      });
      assert.equal(badPort.status, 400, badPort.text);
      assert.deepEqual((badPort.body as { fields: unknown }).fields, {
        config: { port: 'value should be between 0 and 65535' },
      });
      const lua = await http('POST', `${adminUrl}/plugins`, {
        name,
        config: { host: '127.0.0.1', port: 9, custom_fields_by_lua: { a: "return 'b'" } },
      });
      assert.equal(lua.status, 400, lua.text);
      assert.match(JSON.stringify(lua.body), /custom_fields_by_lua.*Lua code is not run by Turnpike/);
    }
  });

  it('tcp-log: one JSON line per request in the serializer shape, over one kept-alive connection', async () => {
    const receiver = await startLineReceiver();
    try {
      await routeWith('tcplog', [{ name: 'tcp-log', config: { host: '127.0.0.1', port: receiver.port } }]);
      await ready('tcplog', () => receiver.records.length > 0);
      const before = receiver.connections.length;
      for (let i = 0; i < 5; i++) assert.equal((await get(`/tcplog/n/${i}?q=1`)).status, 200);
      const mine = await eventually(
        async () => receiver.records.filter((r) => uriOf(r).startsWith('/tcplog/n/')),
        (r) => r.length === 5,
      );
      assert.deepEqual(
        mine.map(uriOf),
        [0, 1, 2, 3, 4].map((i) => `/tcplog/n/${i}?q=1`),
      );
      const entry = mine[0]!;
      assert.equal((entry.request as { method: string }).method, 'GET');
      assert.equal((entry.response as { status: number }).status, 200);
      assert.equal((entry.route as { name: string }).name, 'tcplog');
      assert.equal((entry.service as { name: string }).name, 's');
      assert.equal(entry.upstream_uri, '/base/n/0?q=1');
      assert.equal(entry.client_ip, '127.0.0.1');
      assert.ok(typeof (entry.latencies as { request: number }).request === 'number');
      // Kept alive: the five entries came over the connection the first one opened.
      assert.equal(receiver.connections.length, before);
    } finally {
      await receiver.close();
    }
  });

  it('tcp-log: TLS with tls_sni, and an idle connection closed after keepalive ms', async () => {
    const ca = await makeAuthority('tcp-log test CA');
    const receiver = await startLineReceiver(await issueCertificate(ca, 'logs.test', ['logs.test']));
    try {
      await routeWith('tcptls', [
        {
          name: 'tcp-log',
          config: { host: '127.0.0.1', port: receiver.port, tls: true, tls_sni: 'logs.test', keepalive: 300 },
        },
      ]);
      await ready('tcptls', () => receiver.records.length > 0);
      assert.equal((await get('/tcptls/secure')).status, 200);
      await eventually(
        async () => receiver.records.some((r) => uriOf(r) === '/tcptls/secure'),
        (ok) => ok,
      );
      assert.ok(receiver.connections.length > 0);
      assert.ok(
        receiver.connections.every((c) => c.servername === 'logs.test'),
        JSON.stringify(receiver.connections),
      );
      // Nothing more is sent: the connection is closed by the gateway once idle for 300 ms.
      await eventually(
        async () => receiver.connections.every((c) => c.closed),
        (ok) => ok,
      );
    } finally {
      await receiver.close();
    }
  });

  it('tcp-log: a down receiver never delays the proxied response; lost entries are counted and logged', async () => {
    const port = await closedPort();
    const before = await droppedOnMetrics('tcp-log');
    await routeWith('tcpdown', [{ name: 'tcp-log', config: { host: '127.0.0.1', port } }]);
    // The route and its plugin are two Admin writes, which can reach the worker in two versions:
    // ready once the plugin's first entry was lost, not at the route's first 200.
    const lostWhenReady = await eventually(
      async () => {
        assert.equal((await get('/tcpdown/ready')).status, 200);
        return droppedOnMetrics('tcp-log');
      },
      (n) => n > before,
    );
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) assert.equal((await get(`/tcpdown/${i}`)).status, 200);
    assert.ok(performance.now() - t0 < 5_000);
    const dropped = await eventually(
      () => droppedOnMetrics('tcp-log'),
      (n) => n >= lostWhenReady + 5,
    );
    assert.ok(dropped >= lostWhenReady + 5, String(dropped));
    assert.ok(node.lines.some((l) => JSON.stringify(l).includes(`failed to connect to 127.0.0.1:${port}`)));
  });

  it('udp-log: one JSON datagram per request in the serializer shape', async () => {
    const socket = dgram.createSocket('udp4');
    const received: Record<string, unknown>[] = [];
    socket.on('message', (msg) => received.push(JSON.parse(msg.toString('utf8')) as Record<string, unknown>));
    socket.bind(0, '127.0.0.1');
    await new Promise((r) => socket.once('listening', r));
    try {
      const port = socket.address().port;
      await routeWith('udplog', [{ name: 'udp-log', config: { host: '127.0.0.1', port } }]);
      await ready('udplog', () => received.length > 0);
      for (let i = 0; i < 3; i++) assert.equal((await get(`/udplog/d/${i}`)).status, 200);
      const mine = await eventually(
        async () => received.filter((r) => uriOf(r).startsWith('/udplog/d/')),
        (r) => r.length === 3,
      );
      assert.deepEqual(mine.map(uriOf).sort(), ['/udplog/d/0', '/udplog/d/1', '/udplog/d/2']);
      const entry = mine[0]!;
      assert.equal((entry.response as { status: number }).status, 200);
      assert.equal((entry.route as { name: string }).name, 'udplog');
      assert.equal(entry.upstream_status, '200');
    } finally {
      socket.close();
    }
  });

  it('statsd: schema defaults and Kong-shaped refusals', async () => {
    const ok = await http('POST', `${adminUrl}/plugins`, { name: 'statsd', config: {} });
    assert.equal(ok.status, 201, ok.text);
    const config = (ok.body as { config: Record<string, unknown> }).config;
    assert.equal(config.host, 'localhost');
    assert.equal(config.port, 8125);
    assert.equal(config.prefix, 'kong');
    assert.equal(config.udp_packet_size, 0);
    assert.equal(config.use_tcp, false);
    assert.equal(config.consumer_identifier_default, 'custom_id');
    assert.equal(config.service_identifier_default, 'service_name_or_host');
    assert.equal(config.workspace_identifier_default, 'workspace_id');
    assert.equal(config.tag_style, null);
    assert.equal((config.metrics as unknown[]).length, 13);
    assert.deepEqual((config.queue as { max_batch_size: number }).max_batch_size, 1);
    assert.equal((await http('DELETE', `${adminUrl}/plugins/${(ok.body as { id: string }).id}`)).status, 204);

    const noRate = await http('POST', `${adminUrl}/plugins`, {
      name: 'statsd',
      config: { metrics: [{ name: 'request_count', stat_type: 'counter' }] },
    });
    assert.equal(noRate.status, 400, noRate.text);
    assert.match(
      JSON.stringify((noRate.body as { fields: unknown }).fields),
      /sample_rate.*required field missing/,
    );
    const badName = await http('POST', `${adminUrl}/plugins`, {
      name: 'statsd',
      config: {
        metrics: [{ name: 'bogus', stat_type: 'timer' }],
        tag_style: 'carbon',
        allow_status_codes: ['2xx'],
      },
    });
    assert.equal(badName.status, 400, badName.text);
    const fields = JSON.stringify((badName.body as { fields: unknown }).fields);
    assert.match(fields, /expected one of: kong_latency, latency/);
    assert.match(fields, /tag_style.*expected one of: dogstatsd, influxdb, librato, signalfx/);
    assert.match(fields, /allow_status_codes/);
  });

  it('statsd: Kong metric names over UDP (combined packets) and over TCP, allow_status_codes honoured', async () => {
    const socket = dgram.createSocket('udp4');
    const packets: string[] = [];
    socket.on('message', (msg) => packets.push(msg.toString('utf8')));
    socket.bind(0, '127.0.0.1');
    await new Promise((r) => socket.once('listening', r));
    const tcp = await startLineReceiver();
    try {
      const port = socket.address().port;
      await routeWith('statsd', [
        {
          name: 'statsd',
          config: {
            host: '127.0.0.1',
            port,
            prefix: 'gw',
            udp_packet_size: 1000,
            allow_status_codes: ['200-299'],
            metrics: [
              { name: 'request_count', stat_type: 'counter', sample_rate: 1 },
              { name: 'status_count', stat_type: 'counter', sample_rate: 1 },
              { name: 'latency', stat_type: 'timer' },
            ],
          },
        },
      ]);
      await ready('statsd', () => packets.length > 0);
      packets.length = 0;
      assert.equal((await get('/statsd/one')).status, 200);
      const lines = await eventually(
        async () => packets.flatMap((p) => p.split('\n')),
        (l) => l.length >= 3,
      );
      // A request's three lines come combined in one datagram (udp_packet_size): late packets of
      // the readiness requests may arrive too, so the check is on a packet's content, not a count.
      assert.ok(
        packets.some((p) => p.split('\n').length >= 3),
        `combined into one packet: ${JSON.stringify(packets)}`,
      );
      assert.ok(lines.includes('gw.service.s.request.count:1|c'), JSON.stringify(lines));
      assert.ok(lines.includes('gw.service.s.status.200:1|c'), JSON.stringify(lines));
      assert.ok(
        lines.some((l) => /^gw\.service\.s\.latency:\d+\|ms$/.test(l)),
        JSON.stringify(lines),
      );
      // A 404 is outside allow_status_codes: nothing is sent for it.
      await routeWith('statsd404', [
        {
          name: 'statsd',
          config: {
            host: '127.0.0.1',
            port,
            prefix: 'gw',
            allow_status_codes: ['200-299'],
            metrics: [{ name: 'status_count', stat_type: 'counter', sample_rate: 1 }],
          },
        },
        { name: 'request-termination', config: { status_code: 404, message: 'gone' } },
      ]);
      await eventually(
        async () => (await get('/statsd404/x')).status,
        (status) => status === 404,
      );
      packets.length = 0;
      assert.equal((await get('/statsd404/y')).status, 404);
      assert.equal((await get('/statsd/two')).status, 200);
      const after = await eventually(
        async () => packets.flatMap((p) => p.split('\n')),
        (l) => l.some((x) => x.includes('status.200')),
      );
      assert.ok(!after.some((l) => l.includes('status.404')), JSON.stringify(after));

      await routeWith('statsdtcp', [
        {
          name: 'statsd',
          config: {
            host: '127.0.0.1',
            port: tcp.port,
            use_tcp: true,
            tag_style: 'dogstatsd',
            metrics: [{ name: 'request_count', stat_type: 'counter', sample_rate: 1 }],
          },
        },
      ]);
      await eventually(
        async () => {
          await get('/statsdtcp/x');
          return tcp.lines.length;
        },
        (n) => n > 0,
      );
      assert.match(
        tcp.lines[0]!,
        /^kong\.request\.count:1\|c\|#service:s,route:statsdtcp,workspace:default,node:[^,]+,status:200$/,
      );
    } finally {
      socket.close();
      await tcp.close();
    }
  });
});
