/**
 * request-transformer end to end (Kong 3.10 spec/03-plugins/36-request-transformer): what the
 * service receives — method, path, headers, query string, JSON / url-encoded / multipart bodies —
 * with values rendered from templates over the client's request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SimpleResponse, send } from './proxy-fixtures.ts';
import { instance, routeOn, type TrafficRig, trafficRig, uid } from './traffic-fixtures.ts';

const r = {
  headers: uid(0x80),
  query: uid(0x81),
  body: uid(0x82),
  method: uid(0x83),
  uri: uid(0x84),
  templates: uid(0x85),
};

interface Echoed {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}
const echoed = (res: SimpleResponse): Echoed => JSON.parse(res.body);

describe('request-transformer through the proxy', () => {
  let rig: TrafficRig;

  before(async () => {
    rig = await trafficRig(() => ({
      routes: [
        routeOn(r.headers, '/headers'),
        routeOn(r.query, '/query'),
        routeOn(r.body, '/body'),
        routeOn(r.method, '/method'),
        routeOn(r.uri, '~/requests/user1/(?<user1>\\w+)/user2/(?<user2>\\w+)$'),
        routeOn(r.templates, '/templates'),
      ],
      plugins: [
        instance(
          'request-transformer',
          {
            remove: { headers: ['x-gone'] },
            rename: { headers: ['x-old:x-new'] },
            replace: { headers: ['x-rep:replaced', 'x-absent:never', 'host:rewritten.test'] },
            add: { headers: ['x-add:added', 'x-rep:not-added'] },
            append: { headers: ['x-list:second', 'x-more:only'] },
          },
          { route: r.headers },
        ),
        instance(
          'request-transformer',
          {
            remove: { querystring: ['gone'] },
            rename: { querystring: ['old:new'] },
            replace: { querystring: ['rep:replaced', 'absent:never'] },
            add: { querystring: ['add:added', 'rep:not-added'] },
            append: { querystring: ['list:second', 'z[1]:a b'] },
          },
          { route: r.query },
        ),
        instance(
          'request-transformer',
          {
            remove: { body: ['gone'] },
            rename: { body: ['old:new'] },
            replace: { body: ['rep:replaced', 'absent:never'] },
            add: { body: ['add:added', 'rep:not-added'] },
          },
          { route: r.body },
        ),
        instance('request-transformer', { http_method: 'GET' }, { route: r.method }),
        instance(
          'request-transformer',
          {
            replace: { uri: '/requests/user2/$(uri_captures.user2)/user1/$(uri_captures.user1)' },
            add: {
              querystring: ['uri_param1:$(uri_captures.user1)', "p2:$(uri_captures.nope or 'default2')"],
            },
          },
          { route: r.uri },
        ),
        instance(
          'request-transformer',
          {
            remove: { headers: ['x-remove-header'], querystring: ['q1'] },
            add: {
              headers: ['x-test-header:$(query_params.q1)', 'x-from-removed:$(headers["x-remove-header"])'],
              querystring: ['q2:$(headers.x_remove_header)', 'host:$(headers.host)'],
            },
          },
          { route: r.templates },
        ),
      ],
    }));
  });
  after(() => rig?.[Symbol.asyncDispose]());

  it('removes, renames, replaces, adds and appends request headers; replace may set Host', async () => {
    const got = echoed(
      await send(rig.port, '/headers', { 'x-gone': '1', 'x-old': 'o', 'x-rep': 'r', 'x-list': 'first' }),
    );
    assert.equal(got.headers['x-gone'], undefined);
    assert.equal(got.headers['x-old'], undefined);
    assert.equal(got.headers['x-new'], 'o');
    assert.equal(got.headers['x-rep'], 'replaced');
    assert.equal(got.headers['x-absent'], undefined);
    assert.equal(got.headers['x-add'], 'added');
    assert.equal(got.headers['x-list'], 'first, second');
    assert.equal(got.headers['x-more'], 'only');
    assert.equal(got.headers.host, 'rewritten.test');
  });

  it('transforms the query string and sends it sorted by name, as Kong', async () => {
    const got = echoed(await send(rig.port, '/query?rep=r&gone=1&old=o&list=first&keep=k'));
    assert.equal(got.url, '/?add=added&keep=k&list=first&list=second&new=o&rep=replaced&z%5B1%5D=a%20b');
  });

  it('leaves a query string alone when no query operation is configured', async () => {
    assert.equal(echoed(await send(rig.port, '/headers?b=2&a=1')).url, '/?b=2&a=1');
  });

  it('transforms a JSON body', async () => {
    const got = echoed(
      await send(
        rig.port,
        '/body',
        { 'content-type': 'application/json' },
        'POST',
        '{"gone":1,"old":"o","rep":"r","keep":true}',
      ),
    );
    assert.deepEqual(JSON.parse(got.body), { new: 'o', rep: 'replaced', keep: true, add: 'added' });
    assert.equal(got.headers['content-length'], String(Buffer.byteLength(got.body)));
  });

  it('transforms a url-encoded body', async () => {
    const got = echoed(
      await send(
        rig.port,
        '/body',
        { 'content-type': 'application/x-www-form-urlencoded' },
        'POST',
        'gone=1&old=o&rep=r&keep=k',
      ),
    );
    assert.deepEqual(Object.fromEntries(new URLSearchParams(got.body)), {
      new: 'o',
      rep: 'replaced',
      keep: 'k',
      add: 'added',
    });
  });

  it('transforms a multipart body, keeping its boundary', async () => {
    const boundary = 'XyZ123';
    const part = (name: string, value: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const body = `${part('gone', '1')}${part('old', 'o')}${part('rep', 'r')}--${boundary}--\r\n`;
    const got = echoed(
      await send(
        rig.port,
        '/body',
        { 'content-type': `multipart/form-data; boundary=${boundary}` },
        'POST',
        body,
      ),
    );
    const fields = Object.fromEntries(
      [...got.body.matchAll(/name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g)].map((m) => [m[1], m[2]]),
    );
    assert.deepEqual(fields, { new: 'o', rep: 'replaced', add: 'added' });
    assert.ok(got.body.endsWith(`--${boundary}--\r\n`), got.body);
  });

  it('passes a body of another type untouched', async () => {
    const got = echoed(await send(rig.port, '/body', { 'content-type': 'text/plain' }, 'POST', 'old=o'));
    assert.equal(got.body, 'old=o');
  });

  it('changes the method, a form body then also going into the query string of a GET', async () => {
    const got = echoed(
      await send(
        rig.port,
        '/method?q=1',
        { 'content-type': 'application/x-www-form-urlencoded' },
        'POST',
        'hello=world',
      ),
    );
    assert.equal(got.method, 'GET');
    assert.equal(got.url, '/?hello=world&q=1');
  });

  it('rewrites the path from the route regex captures, with defaults for a missing one', async () => {
    const got = echoed(await send(rig.port, '/requests/user1/foo/user2/bar?q=1'));
    assert.equal(got.url, '/requests/user2/bar/user1/foo?p2=default2&q=1&uri_param1=foo');
  });

  it('renders templates from the request as received, a removed header included', async () => {
    const got = echoed(
      await send(rig.port, '/templates?q1=20', { host: 'test15.test', 'x-remove-header': 'its a test' }),
    );
    assert.equal(got.headers['x-remove-header'], undefined);
    assert.equal(got.headers['x-test-header'], '20');
    assert.equal(got.headers['x-from-removed'], 'its a test');
    assert.equal(got.url, '/?host=test15.test&q2=its%20a%20test');
  });
});
