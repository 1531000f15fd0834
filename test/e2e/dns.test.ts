import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  connectLookup,
  DEFAULT_DNS_SETTINGS,
  DEFAULT_RESOLVER_SETTINGS,
  parseHostsFile,
  type ResolverSettings,
  systemResolver,
} from '@turnpike/data-plane/balancer';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { eventually, http } from '../helpers/http.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

let dns: TestDnsServer;
let dir: string;
before(async () => {
  dns = await startDnsServer({
    'api.test': [{ type: 'A', data: '10.1.2.3', ttl: 42 }],
    'dual.test': [
      { type: 'A', data: '10.0.0.4' },
      { type: 'AAAA', data: 'fd00::4' },
    ],
    'v4only.test': [{ type: 'A', data: '10.0.0.5' }],
    'alias.test': [{ type: 'CNAME', data: 'api.test' }],
    'backend.svc.test': [{ type: 'A', data: '10.0.0.6' }],
    'backend.test': [{ type: 'A', data: '127.0.0.1' }],
  });
  dir = await mkdtemp(join(tmpdir(), 'turnpike-dns-'));
});
after(async () => {
  await dns?.[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

/** A configured node's resolver: this test's DNS server, no hosts entries, no search list. */
function resolver(extra: Partial<ResolverSettings> = {}) {
  return systemResolver({
    ...DEFAULT_RESOLVER_SETTINGS,
    servers: [dns.address],
    hosts: new Map(),
    systemFallback: false,
    ...extra,
  });
}

const asked = (from: number) => dns.questions.slice(from);

describe('the resolver (dns_resolver, dns_order, dns_valid_ttl, dns_hostsfile, resolv.conf)', () => {
  test('asks the dns_resolver servers, keeping the TTL unless dns_valid_ttl overrides it', async () => {
    assert.deepEqual(await resolver()('api.test'), [{ address: '10.1.2.3', ttl: 42 }]);
    assert.deepEqual(await resolver({ validTtl: 7 })('api.test'), [{ address: '10.1.2.3', ttl: 7 }]);
  });

  test('tries the types of dns_order in order, LAST being the type that answered before', async () => {
    assert.deepEqual(await resolver({ order: ['AAAA', 'A'] })('dual.test'), [
      { address: 'fd00::4', ttl: 60 },
    ]);
    assert.deepEqual(await resolver({ order: ['A', 'AAAA'] })('dual.test'), [
      { address: '10.0.0.4', ttl: 60 },
    ]);
    const resolve = resolver({ order: ['LAST', 'AAAA', 'A'] });
    const first = dns.questions.length;
    await resolve('v4only.test');
    assert.deepEqual(asked(first), ['AAAA v4only.test', 'A v4only.test']);
    const second = dns.questions.length;
    await resolve('v4only.test');
    assert.deepEqual(asked(second), ['A v4only.test'], 'A answered last time: asked first');
  });

  test('follows a CNAME when dns_order lists it', async () => {
    assert.deepEqual(await resolver({ order: ['CNAME', 'A'] })('alias.test'), [
      { address: '10.1.2.3', ttl: 42 },
    ]);
  });

  test('answers from the hosts file without asking DNS', async () => {
    const hosts = parseHostsFile('# comment\n10.9.9.9 api.test other # alias\n');
    const first = dns.questions.length;
    assert.deepEqual(await resolver({ hosts })('API.test'), [{ address: '10.9.9.9', ttl: 315_360_000 }]);
    assert.deepEqual(asked(first), []);
  });

  test("applies resolv.conf's search list to a short name, and says ENOTFOUND for an unknown one", async () => {
    assert.deepEqual(await resolver({ search: ['svc.test'], ndots: 1 })('backend'), [
      { address: '10.0.0.6', ttl: 60 },
    ]);
    await assert.rejects(resolver()('nowhere.test'), (err: { code?: string }) => err.code === 'ENOTFOUND');
  });

  test('the connection lookup caches an answer for its TTL and a missing name for dns_not_found_ttl', async () => {
    const lookup = connectLookup(resolver(), { ...DEFAULT_DNS_SETTINGS, notFoundTtl: 30 });
    const ask = (name: string, all: boolean) =>
      new Promise<unknown>((resolve) => {
        (lookup as unknown as (n: string, o: object, cb: (...a: unknown[]) => void) => void)(
          name,
          { all },
          (err, address, family) =>
            resolve(err === null ? (all ? address : [address, family]) : (err as { code: string }).code),
        );
      });
    const first = dns.questions.length;
    assert.deepEqual(await ask('api.test', true), [{ address: '10.1.2.3', family: 4 }]);
    assert.deepEqual(await ask('api.test', false), ['10.1.2.3', 4]);
    assert.equal(await ask('missing.test', false), 'ENOTFOUND');
    assert.equal(await ask('missing.test', false), 'ENOTFOUND');
    assert.deepEqual(asked(first), ['A api.test', 'A missing.test', 'CNAME missing.test'], 'each asked once');
    assert.equal(typeof (lookup satisfies LookupFunction), 'function');
  });
});

describe('a node configured with dns_resolver and dns_hostsfile', () => {
  test('resolves service hosts and upstream targets with them, where the system knows neither name', async () => {
    await using upstream = await startEchoUpstream('backend');
    const hostsFile = join(dir, 'hosts');
    await writeFile(hostsFile, '127.0.0.1 from-hosts.test\n');
    await using node = await startTraditionalNode({
      env: { TURNPIKE_DNS_RESOLVER: dns.address, TURNPIKE_DNS_HOSTSFILE: hostsFile },
    });
    const { adminUrl } = node;
    const created = [
      await http('POST', `${adminUrl}/services`, {
        name: 'by-dns',
        url: `http://backend.test:${upstream.port}`,
      }),
      await http('POST', `${adminUrl}/services/by-dns/routes`, { paths: ['/by-dns'] }),
      await http('POST', `${adminUrl}/services`, {
        name: 'by-hosts',
        url: `http://from-hosts.test:${upstream.port}`,
      }),
      await http('POST', `${adminUrl}/services/by-hosts/routes`, { paths: ['/by-hosts'] }),
      await http('POST', `${adminUrl}/upstreams`, { name: 'balanced' }),
      await http('POST', `${adminUrl}/upstreams/balanced/targets`, {
        target: `backend.test:${upstream.port}`,
      }),
      await http('POST', `${adminUrl}/services`, { name: 'by-target', url: 'http://balanced' }),
      await http('POST', `${adminUrl}/services/by-target/routes`, { paths: ['/by-target'] }),
    ];
    for (const res of created) assert.equal(res.status, 201, res.text);
    for (const path of ['/by-dns', '/by-hosts', '/by-target']) {
      const res = await eventually(
        () => http('GET', `${node.proxyUrl}${path}/x`),
        (r) => r.status === 200,
      );
      assert.deepEqual(res.body, { upstream: 'backend', method: 'GET', url: '/x' }, path);
    }
    assert.ok(dns.questions.includes('A backend.test'), 'the name went to dns_resolver');
    assert.ok(!dns.questions.some((q) => q.includes('from-hosts.test')), 'the hosts file answered that one');
  });
});
