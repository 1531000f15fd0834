/**
 * Kong 3.10's routing and proxying rules as a user sees them through a running traditional node:
 * entities written through the Admin API, requests through the proxy. One node per router_flavor.
 */

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTraditionalNode, type TraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { runTurnpike } from '../helpers/turnpike.ts';
import { type EchoUpstream, startEchoUpstream } from '../helpers/upstream.ts';
import { type SimpleResponse, send, withoutRequestId } from './proxy-fixtures.ts';

const ECHO = /^1\.1 turnpike\/\d+\.\d+\.\d+/;

function proxyPortOf(node: TraditionalNode): number {
  return Number(new URL(node.proxyUrl).port);
}

/** The path the echo upstream saw, from its JSON answer. */
function upstreamUrl(res: SimpleResponse): string | undefined {
  try {
    return (JSON.parse(res.body) as { url?: string }).url;
  } catch {
    return undefined;
  }
}

async function created(node: TraditionalNode, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await http('POST', `${node.adminUrl}${path}`, body);
  assert.equal(res.status, 201, `POST ${path}: ${res.text}`);
  return res.body as Record<string, unknown>;
}

/** Sends until the proxy answers as `done` says (the data plane applies Admin API writes shortly after). */
function proxied(
  node: TraditionalNode,
  path: string,
  headers: Record<string, string>,
  done: (res: SimpleResponse) => boolean,
): Promise<SimpleResponse> {
  return eventually(() => send(proxyPortOf(node), path, headers), done);
}

describe('router_flavor = traditional_compatible (the default)', () => {
  test('path_handling v1 is applied as v0, as Kong 3 does', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode();
    await created(node, '/services', { name: 'srv', url: `${upstream.url}/srv` });
    await created(node, '/services/srv/routes', { paths: ['/rou'], strip_path: false, path_handling: 'v1' });
    const res = await proxied(node, '/roureq', {}, (r) => r.status === 200);
    assert.equal(upstreamUrl(res), '/srv/roureq');
  });

  test('routes right-wildcard hosts with a port, a disabled service’s routes 404, a route without a service 503s, Via is kept and appended', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode();
    const port = proxyPortOf(node);
    for (const name of ['any-port', 'this-port', 'port-80', 'other']) {
      await created(node, '/services', { name, url: `${upstream.url}/${name}` });
    }
    // The Admin API takes `route.*:<port>` (Kong's schema refuses it; its routers match it).
    await created(node, '/services/any-port/routes', { hosts: ['route.*'] });
    const portRoute = await created(node, '/services/this-port/routes', { hosts: [`route.*:${port}`] });
    assert.deepEqual(portRoute.hosts, [`route.*:${port}`]);
    await created(node, '/services/port-80/routes', { hosts: ['route.*:80'] });
    const bad = await http('POST', `${node.adminUrl}/routes`, { hosts: ['route.*:x'] });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body as { fields: unknown }).fields, {
      hosts: ['invalid wildcard: must be placed at leftmost or rightmost label'],
    });

    const on = (host: string) => proxied(node, '/x', { host }, (r) => r.status === 200);
    // The three routes may reach the worker in more than one version: wait for the last one's.
    await proxied(
      node,
      '/x',
      { host: 'route.org:80' },
      (r) => r.status === 200 && upstreamUrl(r) === '/port-80/x',
    );
    assert.equal(upstreamUrl(await on(`route.org:${port}`)), '/this-port/x');
    // No port in Host: the port the client connected to (Kong's net.dst.port), not 80.
    assert.equal(upstreamUrl(await on('route.org')), '/this-port/x');
    assert.equal(upstreamUrl(await on('route.org:80')), '/port-80/x');
    assert.equal(upstreamUrl(await on('route.org:9')), '/any-port/x');

    // Disabled service: its routes do not route (404 as Kong), and come back when it is enabled again.
    await created(node, '/services/other/routes', { paths: ['/other'] });
    await proxied(node, '/other/a', {}, (r) => r.status === 200);
    assert.equal((await http('PATCH', `${node.adminUrl}/services/other`, { enabled: false })).status, 200);
    const disabled = await proxied(node, '/other/a', {}, (r) => r.status === 404);
    assert.deepEqual(withoutRequestId(JSON.parse(disabled.body)), {
      message: 'no Route matched with those values',
    });
    assert.equal((await http('PATCH', `${node.adminUrl}/services/other`, { enabled: true })).status, 200);
    await proxied(node, '/other/a', {}, (r) => r.status === 200);

    // A route without a service: Kong's 503.
    await created(node, '/routes', { paths: ['/lonely'] });
    const lonely = await proxied(node, '/lonely', {}, (r) => r.status === 503);
    assert.deepEqual(withoutRequestId(JSON.parse(lonely.body)), {
      message: 'no Service found with those values',
    });
    assert.match(String(lonely.headers['content-type']), /application\/json/);

    // Via: the client's is kept and ours appended upstream; the response gets ours.
    const before = upstream.received.length;
    const via = await send(port, '/other/via', { via: '1.1 dev' });
    assert.equal(via.status, 200);
    const seen = upstream.received.slice(before).find((r) => r.url === '/other/via');
    assert.match(String(seen?.headers.via), /^1\.1 dev, 1\.1 turnpike\/\d+\.\d+\.\d+/);
    assert.match(String(via.headers.via), ECHO);
    const noVia = await send(port, '/other/plain');
    const plain = upstream.received.find((r) => r.url === '/other/plain');
    assert.equal(noVia.status, 200);
    assert.match(String(plain?.headers.via), ECHO);
  });
});

/** Records the Host header each request reached it with. */
function hostsSeen(upstream: EchoUpstream, from: number): string[] {
  return upstream.received.slice(from).map((r) => String(r.headers.host));
}

test('a service on an Upstream sends its host_header as Host, else the target’s host, with the port (Kong’s set_host_header)', async () => {
  await using upstream = await startEchoUpstream('echo');
  await using node = await startTraditionalNode();
  const target = `127.0.0.1:${upstream.port}`;
  await created(node, '/upstreams', { name: 'with-header', host_header: 'foo.test' });
  await created(node, '/upstreams/with-header/targets', { target });
  await created(node, '/upstreams', { name: 'by-name' });
  await created(node, '/upstreams/by-name/targets', { target: `localhost:${upstream.port}` });
  await created(node, '/upstreams', { name: 'by-ip' });
  await created(node, '/upstreams/by-ip/targets', { target });
  for (const name of ['with-header', 'by-name', 'by-ip']) {
    await created(node, '/services', { name, host: name, path: `/${name}` });
    await created(node, `/services/${name}/routes`, { paths: [`/${name}`] });
  }
  await created(node, '/services', { name: 'preserved', host: 'with-header', path: '/preserved' });
  await created(node, '/services/preserved/routes', { paths: ['/preserved'], preserve_host: true });

  const through = async (path: string, headers: Record<string, string> = {}) => {
    const from = upstream.received.length;
    await proxied(node, path, headers, (r) => r.status === 200);
    return hostsSeen(upstream, from).at(-1);
  };
  assert.equal(await through('/with-header'), `foo.test:${upstream.port}`);
  assert.equal(await through('/by-name'), `localhost:${upstream.port}`);
  assert.equal(await through('/by-ip'), target);
  assert.equal(await through('/preserved', { host: 'front.test' }), 'front.test');
});

describe('router_flavor = traditional', () => {
  test('applies path_handling v1, and gives a Host without a port the scheme’s port', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode({ env: { KONG_ROUTER_FLAVOR: 'traditional' } });
    const root = await http('GET', `${node.adminUrl}/`);
    assert.equal(
      (root.body as { configuration: { router_flavor: string } }).configuration.router_flavor,
      'traditional',
    );
    await created(node, '/services', { name: 'srv', url: `${upstream.url}/srv` });
    await created(node, '/services/srv/routes', { paths: ['/rou'], strip_path: false, path_handling: 'v1' });
    await created(node, '/services', { name: 'port-80', url: `${upstream.url}/port-80` });
    await created(node, '/services/port-80/routes', { hosts: ['route.*:80'] });
    const v1 = await proxied(node, '/roureq', {}, (r) => r.status === 200);
    assert.equal(upstreamUrl(v1), '/srvroureq');
    const implicit = await proxied(node, '/x', { host: 'route.org' }, (r) => r.status === 200);
    assert.equal(upstreamUrl(implicit), '/port-80/x');
  });
});

test('router_flavor = expressions is refused, naming the key and where it was set', async () => {
  const result = await runTurnpike(['check'], { TURNPIKE_ROUTER_FLAVOR: 'expressions' });
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /router_flavor \(from TURNPIKE_ROUTER_FLAVOR\): not supported yet: the expressions router/,
  );
});
