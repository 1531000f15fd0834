import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorAt, formLevelErrors } from '../api/errors.ts';
import { adminApiBase } from '../api/settings.ts';
import { fieldsOf, isEditable, type KongFieldList, mergeSchemas } from './kong-schema.ts';
import { initialValues, parseList, parseMap, parseNumber, setAt, toBody } from './values.ts';

const SERVICE: KongFieldList = [
  { id: { type: 'string', uuid: true, auto: true } },
  { created_at: { type: 'integer', timestamp: true, auto: true } as never },
  { name: { type: 'string' } },
  { port: { type: 'integer', default: 80, required: true } },
  { tags: { type: 'set', elements: { type: 'string' } } },
  {
    config: {
      type: 'record',
      fields: [{ minute: { type: 'number' } }, { policy: { type: 'string', default: 'local' } }],
    },
  },
];

describe('form values', () => {
  const specs = fieldsOf(SERVICE);

  it('starts a new entity from the defaults, nested records included', () => {
    assert.deepEqual(initialValues(specs), { port: 80, config: { policy: 'local' } });
  });

  it('sends a create without empty fields, ids or timestamps', () => {
    const values = {
      ...initialValues(specs),
      id: 'x',
      name: 'svc',
      tags: [],
      config: { minute: 5, policy: '' },
    };
    assert.deepEqual(toBody(specs, values, 'create'), { name: 'svc', port: 80, config: { minute: 5 } });
  });

  it('clears an emptied field on an edit', () => {
    const values = initialValues(specs, { id: 'x', name: 'svc', port: 81, tags: ['a'] });
    assert.deepEqual(toBody(specs, { ...values, name: '', tags: [] }, 'edit'), {
      name: null,
      port: 81,
      tags: null,
      config: { minute: null, policy: 'local' },
    });
  });

  it('keeps text that is not a number as text, for the Admin API to name', () => {
    assert.equal(parseNumber(' 42 '), 42);
    assert.equal(parseNumber('4x'), '4x');
    assert.equal(parseNumber(''), null);
  });

  it('reads lists and maps as a person types them', () => {
    assert.deepEqual(parseList('/a\n\n /b ', 'line'), ['/a', '/b']);
    assert.deepEqual(parseList('x, y,,z', 'comma'), ['x', 'y', 'z']);
    assert.deepEqual(parseMap('x-a: 1, 2\nx-b:', { type: 'map', values: { type: 'array' } }), {
      'x-a': ['1', '2'],
      'x-b': [],
    });
    assert.deepEqual(setAt({ config: { a: 1 } }, ['config', 'b'], 2), { config: { a: 1, b: 2 } });
  });

  it('draws a plugin’s form from the plugins entity with the plugin’s own fields over it', () => {
    const merged = mergeSchemas(
      {
        fields: [
          { name: { type: 'string' } },
          { consumer: { type: 'foreign' } },
          { config: { type: 'record', abstract: true } },
        ],
      },
      {
        fields: [
          { consumer: { type: 'foreign', eq: null } },
          { config: { type: 'record', fields: [] } },
          { extra: { type: 'string' } },
        ],
      },
    );
    assert.deepEqual(
      fieldsOf(merged.fields).map((s) => [s.name, isEditable(s)]),
      [
        ['name', true],
        ['consumer', false],
        ['config', true],
        ['extra', true],
      ],
    );
  });

  it('does not offer fields the schema pins to null', () => {
    assert.equal(isEditable({ name: 'consumer', field: { type: 'foreign', eq: null } }), false);
    assert.equal(isEditable({ name: 'consumer', field: { type: 'foreign' } }), true);
  });
});

describe('Kong errors at their fields', () => {
  const fields = {
    port: 'value should be between 0 and 65535',
    config: { minute: 'expected a number' },
    paths: [null, 'should start with: / (fixed path) or ~/ (regex path)'],
    '@entity': ['at least one of these fields must be non-empty: minute, hour'],
  };

  it('finds the message of a field, nested or per element', () => {
    assert.equal(errorAt(fields, ['port']), 'value should be between 0 and 65535');
    assert.equal(errorAt(fields, ['config', 'minute']), 'expected a number');
    assert.equal(errorAt(fields, ['paths']), 'should start with: / (fixed path) or ~/ (regex path)');
    assert.equal(errorAt(fields, ['config']), undefined, 'a record’s errors belong to its fields');
    assert.equal(errorAt(fields, ['name']), undefined);
  });

  it('lists entity checks and errors of fields the form does not show', () => {
    const shown = (path: readonly string[]) => path.join('.') !== 'paths';
    assert.deepEqual(formLevelErrors(fields, shown), [
      'paths: should start with: / (fixed path) or ~/ (regex path)',
      'at least one of these fields must be non-empty: minute, hour',
    ]);
  });
});

describe('adminApiBase', () => {
  const settings = { admin_api_url: null, admin_api_port: 8001, admin_api_ssl_port: 8444, version: '0' };

  it('uses the page’s host with the Admin API’s port, the TLS one on an https page', () => {
    assert.equal(adminApiBase(settings, { protocol: 'http:', hostname: 'gw.test' }), 'http://gw.test:8001');
    assert.equal(adminApiBase(settings, { protocol: 'https:', hostname: 'gw.test' }), 'https://gw.test:8444');
    assert.equal(adminApiBase(settings, { protocol: 'http:', hostname: '[::1]' }), 'http://[::1]:8001');
  });

  it('uses admin_gui_api_url, giving a scheme-less one the page’s scheme', () => {
    const api = (admin_api_url: string, protocol = 'http:') =>
      adminApiBase({ ...settings, admin_api_url }, { protocol, hostname: 'x' });
    assert.equal(api('https://api.test/admin/'), 'https://api.test/admin');
    assert.equal(api('127.0.0.1:8001', 'https:'), 'https://127.0.0.1:8001');
  });
});
