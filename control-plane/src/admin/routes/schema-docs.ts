/**
 * The fastify route schemas of the entity endpoints: annotations for OpenAPI only. Bodies carry
 * descriptions but no constraints, so every body reaches validateEntity and clients get Kong's
 * messages, not Ajv's.
 */
import { type EntityDefinition, entityJsonSchema, type JsonSchema } from '@turnpike/shared/schema';
import type { FastifySchema } from 'fastify';

const stringParam = (description: string) => ({ type: 'string', description });

export function requestBodySchema(def: EntityDefinition): JsonSchema {
  const { $id: _id, ...schema } = entityJsonSchema(def, 'request');
  return schema;
}

export const listQuerySchema = {
  type: 'object',
  properties: {
    size: stringParam('Page size, 1 to 1000 (default 100).'),
    offset: stringParam('The offset a previous page returned.'),
    tags: stringParam('`a,b`: entities with every tag; `a/b`: entities with any of them.'),
  },
};

/** `GET /consumers` also takes Kong's `custom_id` filter, and `username`. */
export const consumerListQuerySchema = {
  type: 'object',
  properties: {
    ...listQuerySchema.properties,
    custom_id: stringParam(
      'The consumer with this custom_id, as a one-entry page; the other parameters are ignored.',
    ),
    username: stringParam(
      'The consumer with this username, as a one-entry page; the other parameters are ignored.',
    ),
  },
};

export function routeSchema(
  def: EntityDefinition,
  summary: string,
  params: readonly string[],
  extra: Partial<FastifySchema> = {},
): FastifySchema {
  const properties: Record<string, unknown> = {};
  for (const p of params) properties[p] = stringParam(p === 'id' ? `id or ${def.endpoint_key ?? 'id'}` : p);
  const schema: FastifySchema = { tags: [def.name], summary, ...extra };
  if (params.length > 0) schema.params = { type: 'object', properties, required: [...params] };
  return schema;
}
