import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proxySettingsFromConfig } from '@turnpike/data-plane/proxy';
import { buildConfig } from '@turnpike/shared/config';
import {
  closedPort,
  plainWithoutRequestId,
  rawRequest,
  route,
  service,
  statuses,
  testProxy,
  withoutRequestId,
} from './proxy-fixtures.ts';

/** A proxy whose settings come from turnpike.conf, with one route to a port nothing listens on. */
async function proxyWith(conf: string) {
  const { config } = buildConfig({ file: { path: '/t/turnpike.conf', text: conf }, env: {}, cwd: '/' });
  return testProxy([service(await closedPort(), { retries: 0 })], [route({ paths: ['/down'] })], {
    settings: proxySettingsFromConfig(config),
  });
}

/** Content-Type and body of a raw answer. */
function answerOf(raw: string): { status: number | undefined; type: string | undefined; body: string } {
  return {
    status: statuses(raw)[0],
    type: /\r\nContent-Type: ([^\r]+)\r\n/i.exec(raw)?.[1],
    body: raw.slice(raw.indexOf('\r\n\r\n') + 4),
  };
}

const get = (path: string, headers = '') =>
  `GET ${path} HTTP/1.1\r\nHost: a\r\n${headers}Connection: close\r\n\r\n`;
const BAD_GATEWAY = 'An invalid response was received from the upstream server';

describe('the format of the proxy’s errors (Kong: error_default_type, Accept, Content-Type)', () => {
  it("answers an upstream failure in error_default_type when the request has neither Accept nor Content-Type: Kong's text/plain by default", async () => {
    await using plain = await proxyWith('');
    const text = answerOf(await rawRequest(plain.port, get('/down')));
    assert.deepEqual(
      { ...text, body: plainWithoutRequestId(text.body) },
      {
        status: 502,
        type: 'text/plain; charset=utf-8',
        body: `${BAD_GATEWAY}\n`,
      },
    );
    await using json = await proxyWith('error_default_type = application/json');
    assert.deepEqual(withoutRequestId(JSON.parse(answerOf(await rawRequest(json.port, get('/down'))).body)), {
      message: BAD_GATEWAY,
    });
    await using html = await proxyWith('error_default_type = text/html');
    const page = answerOf(await rawRequest(html.port, get('/down')));
    assert.equal(page.type, 'text/html; charset=utf-8');
    assert.match(page.body, new RegExp(`<p>${BAD_GATEWAY}\\.</p>`));
  });

  it('lets Accept decide over error_default_type (highest q first), then Content-Type when there is no Accept', async () => {
    await using proxy = await proxyWith('error_default_type = text/html');
    const xml = answerOf(
      await rawRequest(proxy.port, get('/down', 'Accept: text/html;q=0.5, application/xml\r\n')),
    );
    assert.equal(xml.type, 'application/xml; charset=utf-8');
    assert.match(xml.body, new RegExp(`<message>${BAD_GATEWAY}</message>`));
    const anything = answerOf(await rawRequest(proxy.port, get('/down', 'Accept: */*\r\n')));
    assert.equal(anything.type, 'application/json; charset=utf-8', '*/* is Kong’s default, JSON');
    const text = answerOf(await rawRequest(proxy.port, get('/down', 'Accept: text/*\r\n')));
    assert.equal(plainWithoutRequestId(text.body), `${BAD_GATEWAY}\n`);
    const byContentType = answerOf(
      await rawRequest(proxy.port, get('/down', 'Content-Type: application/json\r\nContent-Length: 0\r\n')),
    );
    assert.deepEqual(withoutRequestId(JSON.parse(byContentType.body)), { message: BAD_GATEWAY });
  });

  it('answers the runloop’s own errors (no route) by Accept alone, JSON without one, as kong.response.error does', async () => {
    await using proxy = await proxyWith('error_default_type = text/plain');
    const miss = answerOf(await rawRequest(proxy.port, get('/nowhere')));
    assert.equal(miss.status, 404);
    assert.deepEqual(withoutRequestId(JSON.parse(miss.body)), {
      message: 'no Route matched with those values',
    });
    const html = answerOf(await rawRequest(proxy.port, get('/nowhere', 'Accept: text/html\r\n')));
    assert.match(html.body, /<p>no Route matched with those values\.<\/p>/);
  });
});
