/**
 * `GET /schemas/{entity}`, `GET /schemas/plugins/{name}` and the validate endpoints, which
 * check a body without storing it: `200 {"message":"schema validation successful"}` or
 * Kong's 400 schema violation.
 */
import { SchemaViolationError } from '@turnpike/shared';
import {
  ENTITIES,
  type EntityName,
  isEntityName,
  kongSchemaDocument,
  pluginSchemaDocument,
  validateEntity,
} from '@turnpike/shared/schema';
import type { FastifyInstance } from 'fastify';
import { entityInput } from '../body.ts';
import type { AdminContext } from '../context.ts';

const VALID = { message: 'schema validation successful' };

function validate(ctx: AdminContext, entity: EntityName, body: unknown): typeof VALID {
  const input = entityInput(ENTITIES[entity], body, ctx.pluginSchemas);
  const result = validateEntity(entity, input, { operation: 'insert', pluginSchemas: ctx.pluginSchemas });
  if (!result.ok) throw new SchemaViolationError(result.fields);
  return VALID;
}

export function registerSchemaRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const tags = ['schemas'];
  type Named = { Params: { name: string } };

  app.get<Named>(
    '/schemas/:name',
    { schema: { tags, summary: 'The schema of an entity' } },
    async (request, reply) => {
      const { name } = request.params;
      if (!isEntityName(name)) return reply.code(404).send({ message: `No entity named '${name}'` });
      return kongSchemaDocument(ENTITIES[name]);
    },
  );

  app.post<Named>(
    '/schemas/:name/validate',
    { schema: { tags, summary: 'Validate an entity without storing it' } },
    async (request, reply) => {
      const { name } = request.params;
      if (!isEntityName(name)) return reply.code(404).send({ message: `No entity named '${name}'` });
      return validate(ctx, name, request.body);
    },
  );

  app.get<Named>(
    '/schemas/plugins/:name',
    { schema: { tags, summary: 'The schema of a plugin' } },
    async (request, reply) => {
      const { name } = request.params;
      const schema = ctx.pluginSchemas(name);
      if (schema === undefined) return reply.code(404).send({ message: `No plugin named '${name}'` });
      return pluginSchemaDocument(schema);
    },
  );

  app.post(
    '/schemas/plugins/validate',
    { schema: { tags, summary: 'Validate a plugin without storing it' } },
    async (request) => validate(ctx, 'plugins', request.body),
  );
}
