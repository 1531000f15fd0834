/**
 * The traffic plugins' configurations on the Admin API of one `turnpike start`: Kong's defaults
 * filled in, and a bad configuration refused with Kong's 400 naming the field, in Kong's words.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { http } from '../helpers/http.ts';
import { startTurnpike } from '../helpers/turnpike.ts';

const SUPPORTED =
  'only $(headers.<name>), $(query_params.<name>), $(uri_captures.<name>) (or ["<name>"], uri_captures[<n>]), with an optional `or "<default>"`, and $("<literal>") are supported';

type Node = Awaited<ReturnType<typeof startTurnpike>>;

interface Refusal {
  readonly config: Record<string, unknown>;
  /** The 400 body's `fields`. */
  readonly fields: unknown;
}

/** Per plugin: one accepted config with the defaults Kong fills, then the refusals. */
const CASES: Record<
  string,
  { accepted: Record<string, unknown>; defaults: Record<string, unknown>; refused: Refusal[] }
> = {
  'ip-restriction': {
    accepted: { allow: ['10.0.0.0/8', '::1'] },
    defaults: { allow: ['10.0.0.0/8', '::1'], deny: null, status: null, message: null },
    refused: [
      { config: { allow: 12 }, fields: { config: { allow: 'expected an array' } } },
      {
        config: { allow: ['127.0.0.1/32', 'hello', '0.0.0.0/33', '::/129'] },
        fields: {
          config: {
            allow: [
              null,
              "invalid ip or cidr range: 'hello'",
              "invalid ip or cidr range: '0.0.0.0/33'",
              "invalid ip or cidr range: '::/129'",
            ],
          },
        },
      },
      {
        config: { allow: [], deny: [] },
        fields: {
          '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"],
        },
      },
    ],
  },
  'bot-detection': {
    accepted: { deny: ['HelloWorld'] },
    defaults: { allow: [], deny: ['HelloWorld'] },
    refused: [
      { config: { allow: ['ok', '(bad'] }, fields: { config: { allow: [null, 'not a valid regex: (bad'] } } },
    ],
  },
  'correlation-id': {
    accepted: {},
    defaults: { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false },
    refused: [
      {
        config: { generator: 'snowflake' },
        fields: { config: { generator: 'expected one of: uuid, uuid#counter, tracker' } },
      },
      { config: { echo_downstream: 'yes' }, fields: { config: { echo_downstream: 'expected a boolean' } } },
    ],
  },
  cors: {
    accepted: { origins: ['http://a.test', '(.*[./])?b\\.test'] },
    defaults: {
      origins: ['http://a.test', '(.*[./])?b\\.test'],
      headers: null,
      exposed_headers: null,
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'],
      max_age: null,
      credentials: false,
      private_network: false,
      preflight_continue: false,
      allow_origin_absent: true,
    },
    refused: [
      {
        config: { origins: ['*', '(unclosed'] },
        fields: { config: { origins: [null, "'(unclosed' is not a valid regex"] } },
      },
      {
        config: { methods: ['GET', 'FETCH'] },
        fields: {
          config: {
            methods: [null, 'expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT'],
          },
        },
      },
      { config: { credentials: 'yes' }, fields: { config: { credentials: 'expected a boolean' } } },
    ],
  },
  'request-termination': {
    accepted: { status_code: 404 },
    defaults: { status_code: 404, message: null, content_type: null, body: null, echo: false, trigger: null },
    refused: [
      { config: { status_code: 'abcd' }, fields: { config: { status_code: 'expected an integer' } } },
      {
        config: { status_code: 99 },
        fields: { config: { status_code: 'value should be between 100 and 599' } },
      },
      {
        config: { status_code: 600 },
        fields: { config: { status_code: 'value should be between 100 and 599' } },
      },
      {
        config: { message: 'error', body: 'test' },
        fields: { config: 'message cannot be used with content_type or body' },
      },
      { config: { content_type: 'text/html' }, fields: { config: 'content_type requires a body' } },
      {
        config: { echo: true, content_type: 'text/html', body: '<h1>x</h1>' },
        fields: { config: 'echo cannot be used with content_type and body' },
      },
    ],
  },
  'request-transformer': {
    accepted: { add: { headers: ['x-a:$(headers.host)'] } },
    defaults: {
      http_method: null,
      remove: { body: [], headers: [], querystring: [] },
      rename: { body: [], headers: [], querystring: [] },
      replace: { body: [], headers: [], querystring: [], uri: null },
      add: { body: [], headers: ['x-a:$(headers.host)'], querystring: [] },
      append: { body: [], headers: [], querystring: [] },
    },
    refused: [
      { config: { http_method: 'get' }, fields: { config: { http_method: 'invalid value: get' } } },
      {
        config: { add: { querystring: ['novalue'] } },
        fields: { config: { add: { querystring: ["key 'novalue' has no value"] } } },
      },
      {
        config: { rename: { headers: ['a:b c'] } },
        fields: { config: { rename: { headers: ["'b c' is not a valid header"] } } },
      },
      {
        config: { add: { querystring: ['q:$(ERROR())'] } },
        fields: {
          config: {
            add: {
              querystring: [`value '$(ERROR())' is not in supported format, error:${SUPPORTED}`],
            },
          },
        },
      },
      {
        config: { replace: { uri: '/x/$(10 * uri_captures.user1)' } },
        fields: {
          config: {
            replace: {
              uri: `value '/x/$(10 * uri_captures.user1)' is not in supported format, error:${SUPPORTED}`,
            },
          },
        },
      },
    ],
  },
  'response-transformer': {
    accepted: { add: { headers: ['x-a:1'] } },
    defaults: {
      remove: { json: [], headers: [] },
      rename: { json: [], headers: [] },
      replace: { json: [], json_types: [], headers: [] },
      add: { json: [], json_types: [], headers: ['x-a:1'] },
      append: { json: [], json_types: [], headers: [] },
    },
    refused: [
      {
        config: { add: { headers: ['novalue'] } },
        fields: { config: { add: { headers: ['invalid value: novalue'] } } },
      },
      {
        config: { rename: { headers: ['a:b c'] } },
        fields: { config: { rename: { headers: ["'b c' is not a valid header"] } } },
      },
      {
        config: { add: { json_types: ['date'] } },
        fields: { config: { add: { json_types: ['expected one of: boolean, number, string'] } } },
      },
    ],
  },
  'request-size-limiting': {
    accepted: {},
    defaults: { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false },
    refused: [
      {
        config: { size_unit: 'gigabytes' },
        fields: { config: { size_unit: 'expected one of: megabytes, kilobytes, bytes' } },
      },
      {
        config: { allowed_payload_size: 1.5 },
        fields: { config: { allowed_payload_size: 'expected an integer' } },
      },
    ],
  },
};

describe('traffic plugins on the Admin API of turnpike start', () => {
  let node: Node;
  let admin: string;

  before(async () => {
    const [adminPort, proxyPort, statusPort] = [await freePort(), await freePort(), await freePort()];
    node = await startTurnpike({
      env: {
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      },
    });
    admin = `http://127.0.0.1:${adminPort}`;
    const created = await http('POST', `${admin}/services`, { name: 's', url: 'http://127.0.0.1:9' });
    assert.equal(created.status, 201, created.text);
  });
  after(() => node?.[Symbol.asyncDispose]());

  for (const [name, { accepted, defaults, refused }] of Object.entries(CASES)) {
    it(`${name}: fills Kong's defaults and refuses bad configurations naming the field`, async () => {
      const ok = await http('POST', `${admin}/plugins`, { name, config: accepted });
      assert.equal(ok.status, 201, ok.text);
      assert.deepEqual((ok.body as { config: unknown }).config, defaults);
      assert.equal((await http('DELETE', `${admin}/plugins/${(ok.body as { id: string }).id}`)).status, 204);
      for (const { config, fields } of refused) {
        const res = await http('POST', `${admin}/services/s/plugins`, { name, config });
        assert.equal(res.status, 400, `${JSON.stringify(config)}: ${res.text}`);
        const body = res.body as { code: number; name: string; fields: unknown };
        assert.equal(body.name, 'schema violation');
        assert.deepEqual(body.fields, fields, JSON.stringify(config));
      }
    });
  }
});
