import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

const REQUEST_ID = /^[0-9a-f]{32}$/;

async function routeTo(adminUrl: string, upstreamUrl: string): Promise<void> {
  assert.equal((await http('POST', `${adminUrl}/services`, { name: 'echo', url: upstreamUrl })).status, 201);
  const route = await http('POST', `${adminUrl}/services/echo/routes`, { name: 'echo', paths: ['/echo'] });
  assert.equal(route.status, 201, route.text);
}

describe('X-Kong-Request-Id, as Kong 3.10 sends it', () => {
  it('by default goes to the client and the upstream (one id per request, the client’s own replaced), and error bodies carry it', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode();
    await routeTo(node.adminUrl, upstream.url);
    const first = await eventually(
      () => http('GET', `${node.proxyUrl}/echo/a`, undefined, { 'x-kong-request-id': 'client-value' }),
      (r) => r.status === 200,
    );
    const id = first.headers.get('x-kong-request-id');
    assert.match(id ?? '', REQUEST_ID);
    const received = upstream.received.at(-1)!.headers['x-kong-request-id'];
    assert.equal(received, id, 'the upstream gets the same id, not the client’s');
    assert.equal(first.headers.get('x-kong-upstream-status'), null, 'not in the default `headers`');

    const second = await http('GET', `${node.proxyUrl}/echo/b`);
    assert.notEqual(second.headers.get('x-kong-request-id'), id, 'a new id per request');

    // kong/tools/http.lua ERROR_TEMPLATES: the id in the body, in every format.
    const miss = await http('GET', `${node.proxyUrl}/nowhere`);
    assert.equal(miss.status, 404);
    const missId = miss.headers.get('x-kong-request-id');
    assert.match(missId ?? '', REQUEST_ID);
    assert.equal(
      miss.text,
      `{\n  "message":"no Route matched with those values",\n  "request_id":"${missId}"\n}`,
    );
    const text = await http('GET', `${node.proxyUrl}/nowhere`, undefined, { accept: 'text/plain' });
    assert.equal(
      text.text,
      `no Route matched with those values\nrequest_id: ${text.headers.get('x-kong-request-id')}\n`,
    );
  });

  it('follows `headers` and `headers_upstream`: off for both, and X-Kong-Upstream-Status when listed', async () => {
    await using upstream = await startEchoUpstream('echo');
    await using node = await startTraditionalNode({
      env: { TURNPIKE_HEADERS: 'X-Kong-Upstream-Status', TURNPIKE_HEADERS_UPSTREAM: 'off' },
    });
    await routeTo(node.adminUrl, upstream.url);
    const res = await eventually(
      () => http('GET', `${node.proxyUrl}/echo/a`, undefined, { 'x-kong-request-id': 'client-value' }),
      (r) => r.status === 200,
    );
    assert.equal(res.headers.get('x-kong-upstream-status'), '200');
    assert.equal(res.headers.get('x-kong-request-id'), null);
    assert.equal(res.headers.get('via'), null, 'only what `headers` lists');
    assert.equal(
      upstream.received.at(-1)!.headers['x-kong-request-id'],
      'client-value',
      'with headers_upstream = off the client’s header passes, as nginx without proxy_set_header',
    );
    // The body still names the request: Kong's templates always carry it.
    const miss = await http('GET', `${node.proxyUrl}/nowhere`);
    assert.match(String((miss.body as { request_id: string }).request_id), REQUEST_ID);
  });
});
