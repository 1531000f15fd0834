import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePluginHandler, type PluginHandler, type StreamLogContext } from '@turnpike/plugin-sdk';
import { createLogger } from '@turnpike/shared';
import { compileInstance } from '../plugin-chain/instance.ts';
import { currentPlugin } from '../plugin-chain/plugin-scope.ts';
import type { RouteConfig, ServiceConfig } from '../router/index.ts';
import { runStreamLog } from './log-phase.ts';
import type { StreamLogEntry } from './plugins.ts';
import { compileStreamRouter } from './router.ts';
import { serializeStream } from './serialize.ts';
import type { ClosedStream } from './stream-call.ts';

const silent = createLogger({ level: 'silent' });
const ROUTE: RouteConfig = {
  id: 'r',
  name: 'tcp-route',
  protocols: ['tcp'],
  service: { id: 's' },
  destinations: [{ port: 1 }],
};
const SERVICE: ServiceConfig = { id: 's', name: 'echo', protocol: 'tcp', host: '127.0.0.1', port: 9 };

function closed(logs: readonly StreamLogEntry[], extra: Partial<ClosedStream> = {}): ClosedStream {
  const router = compileStreamRouter([ROUTE], new Map([['s', SERVICE]]));
  return {
    route: { ...router.routes[0]!, logs },
    protocol: 'tcp',
    clientIp: '127.0.0.1',
    clientPort: 40000,
    serverPort: 19000,
    tls: undefined,
    bytesIn: 11,
    bytesOut: 12,
    clientReceived: 11,
    upstreamReceived: 12,
    status: 200,
    sessionMs: 30,
    startedAt: 1_700_000_000_000,
    kongMs: 2,
    tries: [{ ip: '127.0.0.1', port: 9 }],
    ...extra,
  };
}

/** An entry as the stream router compiles it (one compiled instance of `handler`). */
function entry(
  handler: PluginHandler,
  lines: unknown[] = [],
  config: Record<string, unknown> = {},
): StreamLogEntry {
  const errors = {
    error: (fields: unknown, msg?: string) => lines.push({ fields, msg }),
    warn() {},
    info() {},
    debug() {},
    trace() {},
    fatal() {},
    child: () => errors,
  } as unknown as StreamLogEntry['log'];
  return {
    name: handler.name,
    priority: handler.priority,
    instance: compileInstance(
      { id: `${handler.name}-1`, name: handler.name, config },
      handler,
      undefined,
      silent,
    ),
    streamLog: handler.streamLog! as StreamLogEntry['streamLog'],
    log: errors,
  };
}

describe("the stream serializer (Kong's stream record)", () => {
  it('has the session, upstream, latencies, tries, route, service, client and start of Kong 3.10', () => {
    const record = serializeStream(closed([]));
    assert.deepEqual(record, {
      session: { received: 11, sent: 12, status: 200, server_port: 19000 },
      upstream: { received: 12, sent: 11 },
      latencies: { kong: 2, session: 30 },
      client_ip: '127.0.0.1',
      started_at: 1_700_000_000_000,
      workspace_name: 'default',
      tries: [{ ip: '127.0.0.1', port: 9 }],
      route: ROUTE,
      service: SERVICE,
    });
  });

  it('has session.tls for a terminated tls session, no tries when none was made', () => {
    const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', client_verify: 'NONE' };
    const record = serializeStream(closed([], { tls, tries: [], status: 502 }));
    assert.deepEqual(record.session.tls, tls);
    assert.equal(record.session.status, 502);
    assert.equal('tries' in record, false);
  });

  it("lists a failed try with Kong's state and code before the one that connected", () => {
    const failed = { ip: '127.0.0.1', port: 1, startedAt: 1, endedAt: 2, code: 502 as const };
    const record = serializeStream(closed([], { tries: [failed, { ip: '127.0.0.1', port: 9 }] }));
    assert.deepEqual(record.tries, [
      { ip: '127.0.0.1', port: 1, state: 'failed', code: 502 },
      { ip: '127.0.0.1', port: 9 },
    ]);
  });
});

describe('runStreamLog', () => {
  it("runs each entry in its plugin's scope with its conf and cache; one record for all", () => {
    const seen: { plugin: string | undefined; conf: unknown; record: object; ctx: StreamLogContext }[] = [];
    const make = (name: string) =>
      definePluginHandler<{ n: number }, { doubled: number }>({
        name,
        version: '1.0.0',
        priority: 1,
        configure: (config) => ({ doubled: config.n * 2 }),
        streamLog(ctx, conf) {
          seen.push({ plugin: currentPlugin(), conf, record: ctx.serialize(), ctx });
        },
      });
    const a = entry(make('a'), [], { n: 1 });
    const b = entry(make('b'), [], { n: 2 });
    runStreamLog(closed([a, b]));
    assert.deepEqual(
      seen.map((s) => [s.plugin, s.conf]),
      [
        ['a', { doubled: 2 }],
        ['b', { doubled: 4 }],
      ],
    );
    assert.equal(seen[0]!.record, seen[1]!.record, 'serialized once');
    assert.equal(seen[0]!.ctx.cache, a.instance.cache);
    assert.equal(seen[0]!.ctx.route.id, 'r');
    assert.equal(seen[0]!.ctx.service?.id, 's');
    assert.ok(Object.isFrozen(seen[0]!.ctx));
  });

  it("logs a throw, a rejection and a failed configure with the plugin's name, and goes on", async () => {
    const lines: unknown[] = [];
    let after = 0;
    const thrower = definePluginHandler({
      name: 'thrower',
      version: '1.0.0',
      priority: 3,
      streamLog() {
        throw new Error('boom');
      },
    });
    const rejecter = definePluginHandler({
      name: 'rejecter',
      version: '1.0.0',
      priority: 2,
      streamLog: (() => Promise.reject(new Error('later'))) as never,
    });
    const badConfigure = definePluginHandler({
      name: 'bad-configure',
      version: '1.0.0',
      priority: 2,
      configure() {
        throw new Error('no');
      },
      streamLog() {
        after += 100;
      },
    });
    const fine = definePluginHandler({
      name: 'fine',
      version: '1.0.0',
      priority: 1,
      streamLog: () => void after++,
    });
    runStreamLog(
      closed([entry(thrower, lines), entry(rejecter, lines), entry(badConfigure, lines), entry(fine, lines)]),
    );
    await new Promise((r) => setImmediate(r));
    assert.equal(after, 1, 'the failed configure is not run; the next plugin is');
    const names = (lines as { fields: { plugin: string; err: Error } }[]).map((l) => l.fields.plugin).sort();
    assert.deepEqual(names, ['bad-configure', 'rejecter', 'thrower']);
  });
});
