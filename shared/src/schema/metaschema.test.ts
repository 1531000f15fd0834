import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPluginSchema } from './metaschema.ts';
import { configRecord, definePluginSchema } from './plugin-schema.ts';

const withConfig = (fields: Record<string, unknown>) => ({
  name: 'p',
  fields: { config: { type: 'record', required: true, fields } },
});

describe('plugin schema check at load (Kong MetaSubSchema)', () => {
  it('accepts a schema built with the SDK helpers', () => {
    const schema = definePluginSchema({
      name: 'p',
      fields: {
        config: configRecord(
          {
            greeting: { type: 'string', default: 'hi', len_max: 20, match: /^[a-z ]+$/ },
            tries: { type: 'integer', between: [1, 5] },
            tags: { type: 'set', elements: { type: 'string' } },
            headers: { type: 'map', keys: { type: 'string' }, values: { type: 'string' } },
            nested: { type: 'record', fields: { on: { type: 'boolean' } } },
          },
          [{ at_least_one_of: ['greeting', 'tries'] }],
        ),
      },
    });
    assert.deepEqual(checkPluginSchema(schema, 'p'), []);
  });

  it('names the path of an unknown field type, nested ones included', () => {
    assert.deepEqual(checkPluginSchema(withConfig({ greeting: { type: 'strng' } }), 'p'), [
      'config.greeting.type: unknown type "strng" (expected one of: array, boolean, foreign, integer, map, number, record, set, string)',
    ]);
    const nested = withConfig({ list: { type: 'array', elements: { type: 'nope' } } });
    assert.match(checkPluginSchema(nested, 'p')[0]!, /^config\.list\.elements\.type: unknown type "nope"/);
  });

  it("refuses what Kong's metaschema refuses: no type, a missing elements, an attribute of another type", () => {
    const problems = checkPluginSchema(
      withConfig({
        a: { required: true },
        b: { type: 'array' },
        c: { type: 'string', between: [1, 2] },
        d: { type: 'string', requird: true },
        e: { type: 'string', match: '^%d+$' },
      }),
      'p',
    );
    assert.deepEqual(problems, [
      'config.a.type: missing type declaration',
      "config.b: field of type 'array' must declare 'elements'",
      "config.c: field of type 'string' cannot have attribute 'between'",
      'config.d.requird: unknown field attribute',
      'config.e.match: must be a RegExp (patterns are JavaScript regular expressions)',
    ]);
  });

  it('refuses a schema without a config record, another name, or fields a plugin may not narrow', () => {
    assert.deepEqual(
      checkPluginSchema({ name: 'q', fields: { config: { type: 'string' }, tags: {} } }, 'p'),
      [
        `name: is "q", expected 'p'`,
        'fields.config: must be a record field (configRecord({...}))',
        'fields.tags: a plugin schema may only narrow config, consumer, route, service and protocols',
      ],
    );
    assert.deepEqual(checkPluginSchema(undefined, 'p'), ['schema: must be an object with name and fields']);
  });
});
