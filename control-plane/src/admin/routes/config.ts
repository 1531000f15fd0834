/**
 * `POST /config` and `GET /config`, Kong's DB-less configuration endpoints, on a database:
 * POST replaces the whole configuration with the declarative file in one transaction (what the
 * file does not name is deleted) and answers 201 with the flattened entities by id, as Kong;
 * a bad file is Kong's code 14 body, with `flattened_errors` when `?flatten_errors=1`.
 * GET answers `{ config: "<yaml>" }`, the export of the current configuration.
 * `POST /config/diff` (a Turnpike addition, for the Admin GUI's import preview) takes the same
 * bodies as POST /config and answers what it would create, change and delete, writing nothing.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DeclarativeParseError,
  diffDeclarative,
  exportDeclarative,
  importDeclarative,
  parseDeclarative,
  parseDeclarativeObject,
  readEntities,
} from '../../declarative/index.ts';
import type { DeclarativeConfig } from '../../declarative/types.ts';
import { FormBody } from '../body.ts';
import type { AdminContext } from '../context.ts';

/** Kong's `truthy` for `flatten_errors`. */
function truthy(value: unknown): boolean {
  const v = typeof value === 'string' ? value.toLowerCase() : value;
  return v === true || v === 1 || v === 'true' || v === '1' || v === 'on' || v === 'yes';
}

type Source = { kind: 'object'; value: Record<string, unknown> } | { kind: 'text'; value: string };

/** Kong's hydrate_config_from_request: the document itself, a `config` parameter, or the raw body. */
function sourceOf(body: unknown): Source | undefined {
  if (typeof body === 'string') return body.trim() === '' ? undefined : { kind: 'text', value: body };
  const params = body instanceof FormBody ? body.flat : body;
  if (typeof params !== 'object' || params === null) return undefined;
  const record = params as Record<string, unknown>;
  if (record._format_version !== undefined) return { kind: 'object', value: record };
  const config = record.config;
  if (typeof config === 'string' && config.trim() !== '') return { kind: 'text', value: config };
  if (typeof config === 'object' && config !== null && !Array.isArray(config))
    return { kind: 'object', value: config as Record<string, unknown> };
  return undefined;
}

function byId(config: DeclarativeConfig): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [entity, rows] of Object.entries(config.entities)) {
    if (rows.length > 0) out[entity] = Object.fromEntries(rows.map((row) => [row.id, row]));
  }
  return out;
}

export function registerConfigRoutes(app: FastifyInstance, ctx: AdminContext): void {
  // Scoped: YAML bodies are accepted by this endpoint only.
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
      { parseAs: 'string' },
      (_req, body, done) => done(null, body),
    );

    scope.get(
      '/config',
      { schema: { tags: ['config'], summary: 'The configuration as a declarative file' } },
      async () => ({
        config: await exportDeclarative(ctx.dao),
      }),
    );

    type ConfigRequest = { Querystring: { flatten_errors?: string } };
    /** The request's declarative file, parsed and validated; undefined when the body holds none. */
    const parsed = (request: FastifyRequest<ConfigRequest>): DeclarativeConfig | undefined => {
      const source = sourceOf(request.body);
      if (source === undefined) return undefined;
      try {
        const options = { pluginSchemas: ctx.pluginSchemas };
        return source.kind === 'object'
          ? parseDeclarativeObject(source.value, options)
          : parseDeclarative(source.value, options);
      } catch (err) {
        if (err instanceof DeclarativeParseError && truthy(request.query.flatten_errors))
          throw err.withFlattenedErrors();
        throw err;
      }
    };
    const NO_CONFIG = { message: 'expected a declarative configuration' };

    scope.post<ConfigRequest>(
      '/config',
      { schema: { tags: ['config'], summary: 'Replace the whole configuration with a declarative file' } },
      async (request, reply) => {
        const config = parsed(request);
        if (config === undefined) return reply.code(400).send(NO_CONFIG);
        await importDeclarative(ctx.dao, config, { mode: 'replace' });
        return reply.code(201).send(byId(config));
      },
    );

    scope.post<ConfigRequest>(
      '/config/diff',
      {
        schema: {
          tags: ['config'],
          summary: 'What POST /config would create, change and delete, without writing anything',
        },
      },
      async (request, reply) => {
        const config = parsed(request);
        if (config === undefined) return reply.code(400).send(NO_CONFIG);
        return diffDeclarative(await readEntities(ctx.dao), config);
      },
    );
  });
}
