import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { configOf } from '../../plugin-chain/schema-support.ts';
import { type FakeRequest, id, pluginEntity, runRequest } from '../../plugin-chain/test-support.ts';
import { handler, NO_DATE, SIGNATURE_NOT_SAME, SIGNATURE_NOT_VALID } from './handler.ts';
import { schema } from './schema.ts';
import { parseHttpDate, signingString } from './signature.ts';

const bob = { id: id('c'), username: 'bob', custom_id: '1234' };
const nobody = { id: id('c'), username: 'no-body' };
const credential = { id: id('h'), username: 'bob', secret: 'secret', consumer: { id: bob.id } };

function entities(config: Record<string, unknown> = {}) {
  return {
    consumers: [bob, nobody],
    hmacauth_credentials: [credential],
    plugins: [pluginEntity('hmac-auth', configOf(schema, config))],
  };
}

const sign = (algorithm: string, data: string, secret = 'secret') =>
  createHmac(algorithm.replace('hmac-', ''), secret).update(data).digest('base64');

function authorization(
  signature: string,
  headers = 'date',
  algorithm = 'hmac-sha1',
  username = 'bob',
): string {
  return `hmac username="${username}", algorithm="${algorithm}", headers="${headers}", signature="${signature}"`;
}

function challengeOf(headers: readonly string[] | undefined): string | undefined {
  const i = headers?.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === 'www-authenticate') ?? -1;
  return i === -1 ? undefined : headers?.[i + 1];
}

const now = () => new Date().toUTCString();

async function run(config: Record<string, unknown>, request: FakeRequest) {
  return runRequest([handler], entities(config), request);
}

describe('hmac-auth', () => {
  it("answers 401 Unauthorized with Kong's `hmac` challenge without any authorization header", async () => {
    const r = await run({}, {});
    assert.deepEqual([r?.exit?.status, r?.json], [401, { message: 'Unauthorized' }]);
    assert.equal(challengeOf(r?.exit?.headers), 'hmac');
    const realm = await run({ realm: 'test-realm' }, {});
    assert.equal(challengeOf(realm?.exit?.headers), 'hmac realm="test-realm"');
  });

  it('requires a date or x-date within clock_skew', async () => {
    const date = now();
    const sig = authorization(sign('hmac-sha1', `date: ${date}`));
    const none = await run({}, { headers: [['Authorization', sig]] });
    assert.deepEqual(none?.json, { message: NO_DATE });
    const old = new Date(Date.now() - 400_000).toUTCString();
    const stale = await run(
      {},
      {
        headers: [
          ['Date', old],
          ['Authorization', authorization(sign('hmac-sha1', `date: ${old}`))],
        ],
      },
    );
    assert.deepEqual(stale?.json, { message: NO_DATE });
    const wide = await run(
      { clock_skew: 500 },
      {
        headers: [
          ['Date', old],
          ['Authorization', authorization(sign('hmac-sha1', `date: ${old}`))],
        ],
      },
    );
    assert.equal(wide?.exit, undefined);
    const bad = await run(
      {},
      {
        headers: [
          ['Date', 'yesterday'],
          ['Authorization', sig],
        ],
      },
    );
    assert.deepEqual(bad?.json, { message: NO_DATE });
  });

  it('authenticates a signature over date and the request line with each algorithm', async () => {
    for (const algorithm of ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512']) {
      const date = now();
      const data = `date: ${date}\nGET /requests?a=1%20 HTTP/1.1`;
      const r = await run(
        {},
        {
          path: '/requests',
          query: 'a=1%20',
          headers: [
            ['Date', date],
            ['Authorization', authorization(sign(algorithm, data), 'date request-line', algorithm)],
          ],
        },
      );
      assert.equal(r?.exit, undefined, algorithm);
      assert.equal(r?.upstream['x-consumer-username'], 'bob');
      assert.equal(r?.upstream['x-consumer-custom-id'], '1234');
      assert.equal(r?.upstream['x-credential-identifier'], 'bob');
      assert.equal(
        r?.upstream.authorization,
        authorization(sign(algorithm, data), 'date request-line', algorithm),
      );
    }
  });

  it('signs @request-target as the lowercased method and the target, and a missing header as `name:`', () => {
    const request = { method: 'POST', target: '/a?b', httpVersion: '1.1', header: () => undefined };
    assert.equal(
      signingString(request, ['@request-target', 'x-missing']),
      '@request-target: post /a?b\nx-missing:',
    );
  });

  it("refuses a wrong signature, an unknown user, an unlisted algorithm and a missing enforced header, in Kong's words", async () => {
    const date = now();
    const good = sign('hmac-sha256', `date: ${date}`);
    const cases: [Record<string, unknown>, string, string][] = [
      [
        {},
        authorization(sign('hmac-sha256', `date: ${date}`, 'wrong'), 'date', 'hmac-sha256'),
        SIGNATURE_NOT_SAME,
      ],
      [{}, authorization(good, 'date', 'hmac-sha256', 'alice'), SIGNATURE_NOT_VALID],
      [{ algorithms: ['hmac-sha1'] }, authorization(good, 'date', 'hmac-sha256'), SIGNATURE_NOT_VALID],
      [
        { enforce_headers: ['date', 'request-line'] },
        authorization(good, 'date', 'hmac-sha256'),
        SIGNATURE_NOT_VALID,
      ],
      [{}, 'Bearer abc', SIGNATURE_NOT_VALID],
      [{}, authorization('not base64!', 'date', 'hmac-sha256'), SIGNATURE_NOT_SAME],
    ];
    for (const [config, value, message] of cases) {
      const r = await run(
        { realm: 'r', ...config },
        {
          headers: [
            ['Date', date],
            ['Authorization', value],
          ],
        },
      );
      assert.deepEqual([r?.exit?.status, r?.json], [401, { message }], value);
      assert.equal(challengeOf(r?.exit?.headers), 'hmac realm="r"');
    }
  });

  it('prefers Proxy-Authorization and hides the header it used with hide_credentials', async () => {
    const date = now();
    const value = authorization(sign('hmac-sha1', `date: ${date}`));
    const proxied = await run(
      { hide_credentials: true },
      {
        headers: [
          ['Date', date],
          ['Proxy-Authorization', value],
          ['Authorization', 'Basic keep'],
        ],
      },
    );
    assert.equal(proxied?.exit, undefined);
    assert.equal(proxied?.upstream['proxy-authorization'], undefined);
    assert.equal(proxied?.upstream.authorization, 'Basic keep');
    const direct = await run(
      { hide_credentials: true },
      {
        headers: [
          ['Date', date],
          ['Authorization', value],
        ],
      },
    );
    assert.equal(direct?.exit, undefined);
    assert.equal(direct?.upstream.authorization, undefined);
  });

  it('checks the body against its Digest with validate_request_body', async () => {
    const date = now();
    const body = '{"a":1}';
    const digest = `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
    const value = authorization(
      sign('hmac-sha256', `date: ${date}\ndigest: ${digest}`),
      'date digest',
      'hmac-sha256',
    );
    const request = (d: string, b: string): FakeRequest => ({
      method: 'POST',
      headers: [
        ['Date', date],
        ['Digest', d],
        ['Authorization', value],
      ],
      body: b,
    });
    assert.equal((await run({ validate_request_body: true }, request(digest, body)))?.exit, undefined);
    const tampered = await run({ validate_request_body: true }, request(digest, '{"a":2}'));
    assert.deepEqual(tampered?.json, { message: SIGNATURE_NOT_SAME });
    // Without a Digest header only an empty body passes.
    const plain = authorization(sign('hmac-sha1', `date: ${date}`));
    const noDigest = await run(
      { validate_request_body: true },
      {
        method: 'POST',
        headers: [
          ['Date', date],
          ['Authorization', plain],
        ],
        body,
      },
    );
    assert.deepEqual(noDigest?.json, { message: SIGNATURE_NOT_SAME });
    const empty = await run(
      { validate_request_body: true },
      {
        headers: [
          ['Date', date],
          ['Authorization', plain],
        ],
      },
    );
    assert.equal(empty?.exit, undefined);
  });

  it('lets the request through as the anonymous consumer, and 500s for one that does not exist', async () => {
    const r = await run({ anonymous: 'no-body' }, {});
    assert.equal(r?.exit, undefined);
    assert.equal(r?.upstream['x-consumer-username'], 'no-body');
    assert.equal(r?.upstream['x-anonymous-consumer'], 'true');
    const missing = crypto.randomUUID();
    const gone = await run({ anonymous: missing }, {});
    assert.deepEqual(
      [gone?.exit?.status, gone?.json],
      [500, { message: `anonymous consumer ${missing} is configured but doesn't exist` }],
    );
  });

  it('parses the three HTTP date forms and refuses others', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), t);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), t);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), t);
    assert.equal(parseHttpDate('1994-11-06T08:49:37Z'), undefined);
    assert.equal(parseHttpDate('Sun, 31 Feb 1994 08:49:37 GMT'), undefined);
  });

  it("validates its configuration in Kong's words", () => {
    assert.throws(() => configOf(schema, { clock_skew: -10 }), /greater than 0/);
    assert.throws(
      () => configOf(schema, { algorithms: ['sha1024'] }),
      /expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512/,
    );
  });
});
