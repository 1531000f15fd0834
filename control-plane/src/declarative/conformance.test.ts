/** Kong 3.10's declarative behaviours a real file trips on: versions, YAML, error shapes, vaults. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeclarativeParseError, parseDeclarative } from './parse.ts';
import { certificateFixture, testPluginSchemas as pluginSchemas } from './testing.ts';

function refused(text: string): DeclarativeParseError {
  try {
    parseDeclarative(text, { filename: 'kong.yml', pluginSchemas });
  } catch (err) {
    assert.ok(err instanceof DeclarativeParseError, String(err));
    return err;
  }
  assert.fail('expected the file to be refused');
}

describe('_format_version 1.1 and 2.1', () => {
  for (const version of ['1.1', '2.1']) {
    test(`${version}: accepted, regex-looking paths get ~, the rest is kept, the result reads 3.0`, () => {
      const config = parseDeclarative(
        `_format_version: "${version}"
services:
- name: foo
  host: example.com
  routes:
  - name: nested
    paths: ["/regex.+", "/prefix"]
routes:
- name: top
  service: foo
  paths: ["/users/(?<id>\\\\d+)$", "/a/./b"]
`,
        { pluginSchemas },
      );
      assert.equal(config.formatVersion, '3.0');
      const paths = Object.fromEntries(config.entities.routes.map((r) => [r.name, r.paths]));
      assert.deepEqual(paths, { nested: ['~/regex.+', '/prefix'], top: ['~/users/(?<id>\\d+)$', '/a/b'] });
    });
  }

  test('3.0 paths are taken as written', () => {
    const config = parseDeclarative('_format_version: "3.0"\nroutes:\n- name: r\n  paths: ["/regex.+"]\n', {
      pluginSchemas,
    });
    assert.deepEqual(config.entities.routes[0]?.paths, ['/regex.+']);
  });

  test('validation happens after the migration, as Kong’s on-the-fly-migration spec expects', () => {
    const err = refused(
      '_format_version: "2.1"\nservices:\n- name: foo\n  host: example.com\n  routes:\n  - name: foo\n    paths: ["/regex.+(", "/prefix"]\n',
    );
    assert.match(err.message, /invalid regex: '\/regex\.\+\('/);
  });
});

describe('YAML merge keys', () => {
  test('<<: *anchor and <<: [*a, *b] merge, later keys win', () => {
    const config = parseDeclarative(
      `_format_version: "3.0"
_ignore:
- &timeouts { connect_timeout: 5000, read_timeout: 7000 }
- &retries { retries: 2 }
services:
- name: a
  host: a.test
  <<: *timeouts
- name: b
  host: b.test
  read_timeout: 9000
  <<: [*timeouts, *retries]
`,
      { pluginSchemas },
    );
    const [a, b] = config.entities.services;
    assert.deepEqual([a?.connect_timeout, a?.read_timeout, a?.retries], [5000, 7000, 5]);
    assert.deepEqual([b?.connect_timeout, b?.read_timeout, b?.retries], [5000, 9000, 2]);
  });
});

describe('error shapes and precedence', () => {
  test('an unknown plugin and a duplicate name are both reported, in Kong’s shapes', () => {
    const err = refused(`_format_version: "3.0"
services:
- name: dup
  host: a.test
  plugins:
  - name: cors
- name: dup
  host: b.test
  port: 70000
plugins:
- name: rate-limiting
  config: { minute: "x" }
`);
    assert.deepEqual(err.fields, {
      services: [
        { plugins: [{ name: "plugin 'cors' not enabled; add it to the 'plugins' configuration property" }] },
        {
          '@entity': ["uniqueness violation: 'services' entity with name set to 'dup' already declared"],
          port: 'value should be between 0 and 65535',
        },
      ],
      plugins: [{ config: { minute: 'expected a number' } }],
    });
    assert.equal(
      err.message,
      'declarative config is invalid: {plugins={{config={minute="expected a number"}}},' +
        `services={{plugins={{name="plugin 'cors' not enabled; add it to the 'plugins' configuration property"}}},` +
        `{["@entity"]={"uniqueness violation: 'services' entity with name set to 'dup' already declared"},` +
        'port="value should be between 0 and 65535"}}}',
    );
  });

  test('a unique field other than the endpoint key is filed under the entity’s endpoint key, as Kong', () => {
    const err = refused(
      '_format_version: "1.1"\nconsumers:\n- username: foo\n  custom_id: conflict\n- username: bar\n  custom_id: conflict\n',
    );
    assert.deepEqual(err.fields, {
      consumers: {
        bar: "uniqueness violation: 'consumers' entity with custom_id set to 'conflict' already declared",
      },
    });
    assert.equal(
      err.message,
      `declarative config is invalid: {consumers={bar="uniqueness violation: 'consumers' entity with custom_id set to 'conflict' already declared"}}`,
    );
  });

  test('a primary key declared twice is reported at the second entry', () => {
    const id = '0855b320-0dd2-547d-891d-601e9b38647f';
    const err = refused(
      `_format_version: "1.1"\nservices:\n- id: ${id}\n  name: foo\n  host: a.test\n- id: ${id}\n  name: bar\n  host: b.test\n`,
    );
    assert.equal(
      err.message,
      `declarative config is invalid: {services={[2]="uniqueness violation: 'services' entity with primary key set to '${id}' already declared"}}`,
    );
  });

  test('flattened errors show the entry as written, with its parent’s key only when the file gave it', () => {
    const id = 'cb019421-62c2-47a8-b714-d7567b114037';
    const err = refused(`_format_version: "3.0"
services:
- id: ${id}
  name: test
  host: localhost
  routes:
  - super_duper_invalid: true
    tags: [route-01]
consumers:
- username: credentials
  basicauth_credentials:
  - username: extra
    password: x
    extra_field: NO!
`);
    const flattened = err.flattenedErrors;
    const route = flattened.find((e) => e.entity_type === 'route');
    assert.deepEqual(route?.entity, { super_duper_invalid: true, tags: ['route-01'], service: { id } });
    assert.deepEqual(route?.entity_tags, ['route-01']);
    const credential = flattened.find((e) => e.entity_type === 'basicauth_credential');
    assert.deepEqual(credential?.entity, { username: 'extra', password: 'x', extra_field: 'NO!' });
    assert.deepEqual(credential?.errors, [{ type: 'field', field: 'extra_field', message: 'unknown field' }]);
  });
});

describe('vaults and references', () => {
  test('vaults are entities of the file; referenceable fields may hold a reference', () => {
    const config = parseDeclarative(
      `_format_version: "3.0"
vaults:
- name: env
  prefix: my-env
  config: { prefix: TLS_ }
certificates:
- cert: "{vault://my-env/cert}"
  key: "{vault://env/tls-key}"
`,
      { pluginSchemas },
    );
    assert.equal(config.entities.vaults[0]?.prefix, 'my-env');
    assert.deepEqual(config.entities.vaults[0]?.config, { prefix: 'TLS_' });
    assert.equal(config.entities.certificates[0]?.cert, '{vault://my-env/cert}');
  });

  test('a real certificate is still checked, and a vault must be installed', () => {
    const err = refused(`_format_version: "3.0"
vaults:
- name: aws
  prefix: my-aws
- name: env
  prefix: env
certificates:
- cert: |
${certificateFixture('rsa.crt').replace(/^/gm, '    ')}
  key: "{vault://env/key}"
- cert: not a pem
  key: "{vault://env/key}"
`);
    const fields = err.fields as Record<string, unknown>;
    assert.deepEqual(fields.vaults, [
      { name: "vault 'aws' is not installed" },
      { prefix: 'must not be one of: env' },
    ]);
    const certs = fields.certificates as unknown[];
    assert.equal(certs[0], null, 'a matching check over a reference is skipped');
    assert.match(JSON.stringify(certs[1]), /invalid certificate/);
  });
});
