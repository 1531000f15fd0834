/**
 * The top-level entity endpoints, for every entity alike: `GET|POST /{entity}` and
 * `GET|PUT|PATCH|DELETE /{entity}/{id or endpoint key}`.
 */
import type { FastifyInstance } from 'fastify';
import { entityInput } from '../body.ts';
import type { AdminContext } from '../context.ts';
import { definitionOf, type EntityEndpoint } from '../endpoints.ts';
import { findEntity, resolveKey } from '../lookup.ts';
import { pageBody, parseListQuery, toListOptions } from '../pagination.ts';
import { consumerFilterPage } from './consumers.ts';
import { consumerListQuerySchema, listQuerySchema, requestBodySchema, routeSchema } from './schema-docs.ts';

type Params = { id: string };

export function registerEntityRoutes(
  app: FastifyInstance,
  ctx: AdminContext,
  endpoint: Extract<EntityEndpoint, { kind: 'collection' | 'entity' }>,
): void {
  const def = definitionOf(endpoint.entity);
  const dao = () => ctx.dao.entity(def.name);
  const body = requestBodySchema(def);

  if (endpoint.kind === 'collection') {
    app.get(
      endpoint.path,
      {
        schema: routeSchema(def, `List ${def.name}`, [], {
          querystring: def.name === 'consumers' ? consumerListQuerySchema : listQuerySchema,
        }),
      },
      async (request) => {
        if (def.name === 'consumers') {
          const filtered = await consumerFilterPage(ctx, request.query);
          if (filtered !== undefined) return filtered;
        }
        const query = parseListQuery(request.query);
        const page = await dao().list(toListOptions(query));
        return pageBody(page, endpoint.path, query, true);
      },
    );
    app.post(
      endpoint.path,
      { schema: routeSchema(def, `Create a ${def.name} entity`, [], { body }) },
      async (request, reply) => {
        const row = await dao().insert(entityInput(def, request.body, ctx.pluginSchemas));
        return reply.code(201).send(row);
      },
    );
    return;
  }

  const params = ['id'];
  app.get<{ Params: Params }>(
    endpoint.path,
    { schema: routeSchema(def, `Fetch a ${def.name} entity`, params) },
    async (request, reply) => {
      const row = await findEntity(ctx, def.name, request.params.id);
      if (row === undefined) return reply.code(404).send({ message: 'Not found' });
      return row;
    },
  );
  app.patch<{ Params: Params }>(
    endpoint.path,
    { schema: routeSchema(def, `Update a ${def.name} entity`, params, { body }) },
    async (request, reply) => {
      const key = await resolveKey(ctx, def.name, request.params.id);
      if (key === undefined) return reply.code(404).send({ message: 'Not found' });
      return dao().update(key, entityInput(def, request.body, ctx.pluginSchemas));
    },
  );
  app.put<{ Params: Params }>(
    endpoint.path,
    { schema: routeSchema(def, `Create or replace a ${def.name} entity`, params, { body }) },
    async (request) => {
      const segment = request.params.id;
      const input = entityInput(def, request.body, ctx.pluginSchemas);
      const key = await resolveKey(ctx, def.name, segment);
      if (key !== undefined) return dao().upsert(key, input);
      // A certificate PUT by an SNI name nobody has yet: Kong creates it with that SNI.
      const snis = Array.isArray(input.snis) ? input.snis : [];
      return dao().insert({ ...input, snis: snis.includes(segment) ? snis : [...snis, segment] });
    },
  );
  app.delete<{ Params: Params }>(
    endpoint.path,
    { schema: routeSchema(def, `Delete a ${def.name} entity`, params) },
    async (request, reply) => {
      const key = await resolveKey(ctx, def.name, request.params.id);
      // Kong answers 204 whether or not the entity existed.
      if (key !== undefined) await dao().delete(key);
      return reply.code(204).send();
    },
  );
}
