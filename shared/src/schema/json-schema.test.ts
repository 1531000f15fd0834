import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configRecord, definePluginSchema, ENTITIES, entityJsonSchema, kongSchemaDocument } from './index.ts';
import { pluginSchemaDocument } from './json-schema.ts';

describe('kongSchemaDocument', () => {
  it('lists fields in order as single-key objects, like GET /schemas/{entity}', () => {
    const doc = kongSchemaDocument(ENTITIES.services);
    assert.deepEqual(doc.fields[0], { id: { type: 'string', uuid: true, auto: true } });
    assert.deepEqual(
      doc.fields.map((f) => Object.keys(f as object)[0]),
      Object.keys(ENTITIES.services.fields),
    );
    assert.deepEqual(doc.fields[7], {
      port: { type: 'integer', between: [0, 65535], required: true, default: 80 },
    });
  });

  it('serialises entity checks without functions and patterns as source', () => {
    const doc = kongSchemaDocument(ENTITIES.certificates);
    assert.deepEqual(doc.entity_checks?.[1], { custom_entity_check: { field_sources: ['cert', 'key'] } });
    const key = doc.fields.find((f) => 'key' in (f as object)) as { key: Record<string, unknown> };
    assert.equal(key.key.encrypted, true);
    assert.equal(
      doc.fields.some((f) => 'snis' in (f as object)),
      false,
      'input-only fields are not listed',
    );
    const routes = kongSchemaDocument(ENTITIES.routes);
    const methods = routes.fields.find((f) => 'methods' in (f as object)) as {
      methods: { elements: { match: string } };
    };
    assert.equal(methods.methods.elements.match, '^[A-Z]+$');
  });

  it('documents a plugin schema with its config record', () => {
    const schema = definePluginSchema({
      name: 'p',
      fields: { config: configRecord({ a: { type: 'string' } }) },
    });
    assert.deepEqual(pluginSchemaDocument(schema), {
      fields: [{ config: { type: 'record', required: true, fields: [{ a: { type: 'string' } }] } }],
    });
  });
});

describe('entityJsonSchema', () => {
  it('keeps request schemas free of validating keywords so Kong messages come from validateEntity', () => {
    const schema = JSON.stringify(entityJsonSchema(ENTITIES.routes, 'request'));
    for (const keyword of [
      '"type"',
      '"enum"',
      '"required"',
      '"default"',
      '"minimum"',
      '"additionalProperties"',
    ]) {
      assert.equal(schema.includes(keyword), false, `request schema contains ${keyword}`);
    }
    const services = entityJsonSchema(ENTITIES.services, 'request');
    assert.ok('url' in (services.properties as object), 'shorthands are documented');
  });

  it('types response schemas with nullability and enums', () => {
    const schema = entityJsonSchema(ENTITIES.services, 'response') as {
      properties: Record<string, { type: unknown; enum?: unknown[]; minimum?: number }>;
    };
    assert.deepEqual(schema.properties.name?.type, ['string', 'null']);
    assert.equal(schema.properties.port?.type, 'integer');
    assert.equal(schema.properties.port?.minimum, 0);
    assert.ok(schema.properties.protocol?.enum?.includes('grpcs'));
  });
});
