import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeclarativeConfigError } from '@turnpike/shared';
import { DeclarativeParseError, parseDeclarative, parseDeclarativeObject } from './parse.ts';
import { testPluginSchemas as pluginSchemas } from './testing.ts';
import { declarativeId, uuidV5 } from './uuid.ts';

function parseError(text: string, filename = 'kong.yml'): DeclarativeParseError {
  try {
    parseDeclarative(text, { filename, pluginSchemas });
  } catch (err) {
    assert.ok(err instanceof DeclarativeParseError);
    return err;
  }
  assert.fail('expected the configuration to be refused');
}

const NESTED = `_format_version: "3.0"
services:
- name: svc-a
  url: http://a.test:8080/base
  routes:
  - name: route-a
    paths: [/a]
    plugins:
    - name: key-auth
  plugins:
  - name: rate-limiting
    config: { minute: 10 }
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
  basicauth_credentials:
  - username: alice-basic
    password: s3cret
  jwt_secrets:
  - key: alice-iss
  acls:
  - group: admins
  plugins:
  - name: rate-limiting
    config: { hour: 5 }
upstreams:
- name: up.test
  targets:
  - target: 10.0.0.1:8080
  - target: 10.0.0.2
routes:
- name: route-b
  service: svc-a
  hosts: [b.test]
plugins:
- name: key-auth
  route: route-b
`;

describe('uuidV5', () => {
  test('matches the test vectors of lua-resty-jit-uuid, the library Kong generates ids with', () => {
    assert.equal(
      uuidV5('hello', 'e6ebd542-06ae-11e6-8e82-bba81706b27d'),
      '4850816f-1658-5890-8bfd-1ed14251f1f0',
    );
    assert.equal(
      uuidV5('foobar', '1b985f4a-06be-11e6-aff4-ff8d14e25128'),
      '98520401-1e2b-5cbb-926b-c5c4aae4e69d',
    );
  });
});

describe('parseDeclarative: nesting and references', () => {
  test('nested entities are flattened with the foreign key of their parent', () => {
    const config = parseDeclarative(NESTED, { pluginSchemas });
    const [svc] = config.entities.services;
    assert.equal(svc?.name, 'svc-a');
    assert.equal(svc?.host, 'a.test');
    const routeA = config.entities.routes.find((r) => r.name === 'route-a');
    assert.deepEqual(routeA?.service, { id: svc?.id });
    const routePlugin = config.entities.plugins.find((p) => p.name === 'key-auth' && p.route !== null);
    assert.ok(routePlugin);
    const svcPlugin = config.entities.plugins.find((p) => p.name === 'rate-limiting' && p.service !== null);
    assert.deepEqual(svcPlugin?.service, { id: svc?.id });
    const alice = config.entities.consumers[0];
    for (const entity of ['keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'acls'] as const) {
      assert.deepEqual(config.entities[entity][0]?.consumer, { id: alice?.id }, entity);
    }
    const consumerPlugin = config.entities.plugins.find((p) => p.consumer !== null);
    assert.deepEqual(consumerPlugin?.consumer, { id: alice?.id });
    const up = config.entities.upstreams[0];
    assert.equal(config.entities.targets.length, 2);
    for (const t of config.entities.targets) assert.deepEqual(t.upstream, { id: up?.id });
  });

  test('references by name resolve to the id of the named entity, top-level or nested', () => {
    const config = parseDeclarative(NESTED, { pluginSchemas });
    const svc = config.entities.services[0];
    const routeB = config.entities.routes.find((r) => r.name === 'route-b');
    assert.deepEqual(routeB?.service, { id: svc?.id });
    const byRoute = config.entities.plugins.find(
      (p) => (p.route as { id?: string } | null)?.id === routeB?.id,
    );
    assert.equal(byRoute?.name, 'key-auth');
  });

  test('references by id resolve too', () => {
    const id = '6b1d4b8e-4c4e-4b7a-9d59-1b1a0b6b3a11';
    const config = parseDeclarativeObject(
      {
        _format_version: '3.0',
        services: [{ id, host: 'x.test' }],
        routes: [{ paths: ['/x'], service: id }],
      },
      { pluginSchemas },
    );
    assert.deepEqual(config.entities.routes[0]?.service, { id });
  });

  test('ids are Kong’s deterministic UUIDv5 of the cache key, else the endpoint key, stable across parses', () => {
    const a = parseDeclarative(NESTED, { pluginSchemas });
    const b = parseDeclarative(NESTED, { pluginSchemas });
    assert.equal(a.entities.services[0]?.id, declarativeId('services', 'svc-a'));
    assert.deepEqual(
      a.entities.targets.map((t) => t.id),
      b.entities.targets.map((t) => t.id),
    );
    // Kong's cache key comes first: <entity>:<workspace, "*" in a file>:<cache key fields>.
    const up = a.entities.upstreams[0]!;
    assert.equal(a.entities.targets[0]?.id, declarativeId('targets', `targets:*:${up.id}:10.0.0.1:8080`));
    const svc = a.entities.services[0]!;
    const svcPlugin = a.entities.plugins.find((p) => p.service !== null);
    assert.equal(svcPlugin?.id, declarativeId('plugins', `plugins:*:rate-limiting::${svc.id}:`));
    // A plugin referring to its route by name hashes the name, as Kong's build_cache_key does.
    const byName = declarativeId('plugins', 'plugins:*:key-auth:route-b::');
    assert.ok(
      a.entities.plugins.some((p) => p.id === byName),
      'the top-level plugin naming route-b',
    );
    assert.equal(
      a.entities.basicauth_credentials[0]?.id,
      declarativeId('basicauth_credentials', 'basicauth_credentials:*:alice-basic'),
    );
    // A cache key with a generated field (key-auth's key is `auto`) gives no key: a random id, as Kong.
    assert.notEqual(a.entities.keyauth_credentials[0]?.id, b.entities.keyauth_credentials[0]?.id);
  });

  test('defaults are filled and _comment / _transform are accepted', () => {
    const config = parseDeclarative(
      '_format_version: "3.0"\n_transform: false\n_comment: hi\nservices:\n- host: x.test\n  _comment: a service\n',
      { pluginSchemas },
    );
    assert.equal(config.transform, false);
    assert.equal(config.entities.services[0]?.port, 80);
    assert.equal(config.entities.services[0]?.protocol, 'http');
  });

  test('JSON is read as well as YAML', () => {
    const config = parseDeclarative('{"_format_version":"3.0","consumers":[{"username":"bob"}]}', {
      filename: 'kong.json',
      pluginSchemas,
    });
    assert.equal(config.entities.consumers[0]?.username, 'bob');
  });
});

describe('parseDeclarative: errors', () => {
  test('a missing _format_version is Kong’s required field error, code 14', () => {
    const err = parseError('services: []\n');
    assert.ok(err instanceof DeclarativeConfigError);
    assert.equal(err.kongCode, 14);
    assert.deepEqual(err.fields, { _format_version: 'required field missing' });
  });

  test('an unsupported _format_version names the supported ones', () => {
    const err = parseError('_format_version: "2.0"\n');
    assert.deepEqual(err.fields, { _format_version: 'expected one of: 1.1, 2.1, 3.0' });
    assert.equal(err.problems[0]?.line, 1);
  });

  test('a bad nested entity is reported in Kong’s nested shape, with its path and YAML line', () => {
    const text = `_format_version: "3.0"
services:
- name: ok-svc
  host: ok.test
- name: bad-svc
  host: bad.test
  routes:
  - name: fine
    paths: [/fine]
  - name: broken
    paths:
    - no-slash
`;
    const err = parseError(text);
    assert.deepEqual(err.fields, {
      services: [
        null,
        { routes: [null, { paths: ['should start with: / (fixed path) or ~/ (regex path)'] }] },
      ],
    });
    const problem = err.problems.find((p) => p.path === 'services[1].routes[1].paths[0]');
    assert.ok(problem, JSON.stringify(err.problems));
    assert.equal(problem.line, 12);
    assert.match(
      err.describe('kong.yml'),
      /^kong\.yml:12: services\[1\]\.routes\[1\]\.paths\[0\]: should start with: \//m,
    );
  });

  test('an unknown reference is Kong’s invalid reference error, keyed by the entity name', () => {
    const err = parseError('_format_version: "3.0"\nroutes:\n- name: r1\n  paths: [/]\n  service: nope\n');
    assert.deepEqual(err.fields, {
      routes: { r1: ["invalid reference 'service: nope' (no such entry in 'services')"] },
    });
    assert.equal(err.problems[0]?.path, 'routes[0].service');
    assert.equal(err.problems[0]?.line, 5);
  });

  test('an entity declared twice is a uniqueness violation at the second entry', () => {
    const err = parseError(
      '_format_version: "3.0"\nservices:\n- name: foo\n  host: a.test\n- name: foo\n  host: b.test\n',
    );
    assert.deepEqual(err.fields, {
      services: [null, "uniqueness violation: 'services' entity with name set to 'foo' already declared"],
    });
  });

  test('a plugin that is not enabled is refused with Kong’s message', () => {
    const err = parseError('_format_version: "3.0"\nplugins:\n- name: no-such-plugin\n');
    assert.deepEqual(err.fields, {
      plugins: [
        { name: "plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property" },
      ],
    });
  });

  test('unknown top-level keys and non-object documents are refused', () => {
    assert.deepEqual(parseError('_format_version: "3.0"\nservicez: []\n').fields, {
      servicez: 'unknown field',
    });
    assert.deepEqual(parseError('bobby tables').fields, {
      error: 'failed parsing declarative configuration: expected an object',
    });
  });

  test('YAML syntax errors name the line', () => {
    const err = parseError('_format_version: "3.0"\nservices:\n  - host: [unclosed\n');
    assert.match(err.problems[0]?.message ?? '', /^failed parsing declarative configuration: /);
    assert.equal(typeof err.problems[0]?.line, 'number');
  });

  test('flattened errors list each bad entity with its type, name and field paths', () => {
    const err = parseError('_format_version: "3.0"\nservices:\n- name: svc\n  port: -1\n');
    const body = err.withFlattenedErrors().toJSON() as unknown as {
      fields: unknown;
      flattened_errors: unknown[];
    };
    assert.deepEqual(body.fields, {});
    assert.deepEqual(body.flattened_errors, [
      {
        // As Kong: the entry as written, so no generated id (entity_id only when the file gives one).
        entity_type: 'service',
        entity_name: 'svc',
        entity: { name: 'svc', port: -1 },
        errors: [
          { type: 'field', field: 'host', message: 'required field missing' },
          { type: 'field', field: 'port', message: 'value should be between 0 and 65535' },
        ],
      },
    ]);
  });
});
