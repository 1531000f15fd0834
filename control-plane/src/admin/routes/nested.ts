/**
 * The endpoints Kong derives from foreign fields:
 *   `/{parent}/{p}/{children}`        list and create the children of one parent;
 *   `/{parent}/{p}/{children}/{c}`    one child, 404 unless it belongs to that parent;
 *   `/{owner}/{o}/{field}`            the entity a foreign field points at (`/routes/{r}/service`).
 * A parent (or owner) that does not exist answers 404.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ParentScope } from '../../dao/types.ts';
import { entityInput } from '../body.ts';
import type { AdminContext } from '../context.ts';
import { definitionOf, type EntityEndpoint } from '../endpoints.ts';
import { findEntity, foreignId } from '../lookup.ts';
import { pageBody, parseListQuery, toListOptions } from '../pagination.ts';
import { listQuerySchema, requestBodySchema, routeSchema } from './schema-docs.ts';

type NestedEndpoint = Extract<EntityEndpoint, { kind: 'nested-collection' | 'nested-entity' }>;
type ForeignEndpoint = Extract<EntityEndpoint, { kind: 'foreign-entity' }>;

const notFound = (reply: FastifyReply) => reply.code(404).send({ message: 'Not found' });

export function registerNestedRoutes(
  app: FastifyInstance,
  ctx: AdminContext,
  endpoint: NestedEndpoint,
): void {
  const def = definitionOf(endpoint.entity);
  const parentDef = definitionOf(endpoint.parent);
  const { field } = endpoint;
  const dao = () => ctx.dao.entity(def.name);
  const body = requestBodySchema(def);
  const scopeOf = (id: string): ParentScope => ({ field, id });
  const parentOf = (segment: string) => findEntity(ctx, parentDef.name, segment);

  if (endpoint.kind === 'nested-collection') {
    type Params = { parent: string };
    const schema = (summary: string, extra = {}) => routeSchema(def, summary, ['parent'], extra);
    app.get<{ Params: Params }>(
      endpoint.path,
      { schema: schema(`List ${def.name} of a ${parentDef.name} entity`, { querystring: listQuerySchema }) },
      async (request, reply) => {
        const parent = await parentOf(request.params.parent);
        if (parent === undefined) return notFound(reply);
        const query = parseListQuery(request.query);
        const page = await dao().list(toListOptions(query, { scope: scopeOf(parent.id) }));
        const base = `${parentDef.endpoint}/${encodeURIComponent(request.params.parent)}/${def.nested_endpoint ?? def.endpoint.slice(1)}`;
        return pageBody(page, base, query, false);
      },
    );
    app.post<{ Params: Params }>(
      endpoint.path,
      { schema: schema(`Create a ${def.name} entity under a ${parentDef.name} entity`, { body }) },
      async (request, reply) => {
        const parent = await parentOf(request.params.parent);
        if (parent === undefined) return notFound(reply);
        const input = { ...entityInput(def, request.body, ctx.pluginSchemas), [field]: { id: parent.id } };
        return reply.code(201).send(await dao().insert(input, { scope: scopeOf(parent.id) }));
      },
    );
    return;
  }

  type Params = { parent: string; id: string };
  const schema = (summary: string, extra = {}) => routeSchema(def, summary, ['parent', 'id'], extra);
  /** The parent and the child, or undefined unless both exist and belong together. */
  const pair = async (params: Params) => {
    const parent = await parentOf(params.parent);
    if (parent === undefined) return undefined;
    const child = await findEntity(ctx, def.name, params.id);
    if (child === undefined || foreignId(child, field) !== parent.id) return undefined;
    return { parent, child };
  };

  app.get<{ Params: Params }>(
    endpoint.path,
    { schema: schema(`Fetch a ${def.name} entity of a ${parentDef.name} entity`) },
    async (request, reply) => {
      const found = await pair(request.params);
      return found === undefined ? notFound(reply) : found.child;
    },
  );
  app.patch<{ Params: Params }>(
    endpoint.path,
    { schema: schema(`Update a ${def.name} entity of a ${parentDef.name} entity`, { body }) },
    async (request, reply) => {
      const found = await pair(request.params);
      if (found === undefined) return notFound(reply);
      const input = entityInput(def, request.body, ctx.pluginSchemas);
      // Kong lets a nested PATCH move the child elsewhere when the body names another parent.
      if (input[field] === undefined) input[field] = { id: found.parent.id };
      return dao().update(found.child.id, input);
    },
  );
  app.put<{ Params: Params }>(
    endpoint.path,
    { schema: schema(`Create or replace a ${def.name} entity under a ${parentDef.name} entity`, { body }) },
    async (request, reply) => {
      const parent = await parentOf(request.params.parent);
      if (parent === undefined) return notFound(reply);
      const input = { ...entityInput(def, request.body, ctx.pluginSchemas), [field]: { id: parent.id } };
      return dao().upsert(request.params.id, input, { scope: scopeOf(parent.id) });
    },
  );
  app.delete<{ Params: Params }>(
    endpoint.path,
    { schema: schema(`Delete a ${def.name} entity of a ${parentDef.name} entity`) },
    async (request, reply) => {
      const found = await pair(request.params);
      if (found === undefined) return notFound(reply);
      await dao().delete(found.child.id);
      return reply.code(204).send();
    },
  );
}

export function registerForeignRoutes(
  app: FastifyInstance,
  ctx: AdminContext,
  endpoint: ForeignEndpoint,
): void {
  const def = definitionOf(endpoint.entity);
  const ownerDef = definitionOf(endpoint.owner);
  const { field } = endpoint;
  const dao = () => ctx.dao.entity(def.name);
  const body = requestBodySchema(def);
  type Params = { owner: string };
  const schema = (summary: string, extra = {}) => routeSchema(def, summary, ['owner'], extra);
  const ownerOf = (segment: string) => findEntity(ctx, ownerDef.name, segment);
  const summary = (verb: string) => `${verb} the ${def.name} entity of a ${ownerDef.name} entity (${field})`;

  app.get<{ Params: Params }>(endpoint.path, { schema: schema(summary('Fetch')) }, async (request, reply) => {
    const id = foreignId(await ownerOf(request.params.owner), field);
    const row = id === undefined ? undefined : await dao().get(id);
    return row === undefined ? notFound(reply) : row;
  });
  app.patch<{ Params: Params }>(
    endpoint.path,
    { schema: schema(summary('Update'), { body }) },
    async (request, reply) => {
      const id = foreignId(await ownerOf(request.params.owner), field);
      if (id === undefined) return notFound(reply);
      return dao().update(id, entityInput(def, request.body, ctx.pluginSchemas));
    },
  );
  app.put<{ Params: Params }>(
    endpoint.path,
    { schema: schema(summary('Create or replace'), { body }) },
    async (request, reply) => {
      const owner = await ownerOf(request.params.owner);
      if (owner === undefined) return notFound(reply);
      const input = entityInput(def, request.body, ctx.pluginSchemas);
      const id = foreignId(owner, field);
      if (id !== undefined) return dao().upsert(id, input);
      // Nothing referenced yet: create it and point the owner at it, in one write.
      return ctx.dao.transaction(async (tx) => {
        const created = await tx.entity(def.name).insert(input);
        await tx.entity(ownerDef.name).update(owner.id, { [field]: { id: created.id } });
        return created;
      });
    },
  );
  app.delete<{ Params: Params }>(
    endpoint.path,
    { schema: schema(summary('Delete')) },
    async (request, reply) => {
      const id = foreignId(await ownerOf(request.params.owner), field);
      if (id === undefined) return notFound(reply);
      // Kong refuses: the referenced entity is deleted at its own path.
      return reply.code(405).send({ message: 'Method not allowed' });
    },
  );
}
