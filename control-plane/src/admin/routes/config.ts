/**
 * `POST /config` and `GET /config`, Kong's DB-less configuration endpoints, on a database:
 * POST replaces the whole configuration with the declarative file in one transaction (what the
 * file does not name is deleted) and answers 201 with the flattened entities by id, as Kong;
 * a bad file is Kong's code 14 body, with `flattened_errors` when `?flatten_errors=1`.
 * The file comes as JSON, YAML, a `config` field (JSON or form) or a `config` part of a
 * multipart/form-data body (`curl -F config=@kong.yml`, Kong's documented form).
 * `?check_hash=1`, as Kong: when the text is the one this node loaded last (its MD5) and
 * nothing was written since, 304 and nothing is done.
 * GET answers `{ config: "<yaml>" }`, the export of the current configuration.
 * `POST /config/diff` (a Turnpike addition, for the Admin GUI's import preview) takes the same
 * bodies as POST /config and answers what it would create, change and delete, writing nothing.
 */
import { createHash } from 'node:crypto';
import multipart from '@fastify/multipart';
import { RequestBodyError, SchemaViolationError } from '@turnpike/shared';
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
import { DEFAULT_ADMIN_BODY_LIMIT, FormBody } from '../body.ts';
import type { AdminContext } from '../context.ts';
import { decodeUtf8 } from '../url-text.ts';

/** Kong's `truthy` for `flatten_errors`. */
function truthy(value: unknown): boolean {
  const v = typeof value === 'string' ? value.toLowerCase() : value;
  return v === true || v === 1 || v === 'true' || v === '1' || v === 'on' || v === 'yes';
}

/** Kong's self.params: the query string and the body's own fields (a form's, a multipart's). */
function param(request: FastifyRequest<ConfigRequest>, body: unknown, name: 'flatten_errors' | 'check_hash') {
  const fromQuery = request.query[name];
  if (fromQuery !== undefined) return fromQuery;
  const params = body instanceof FormBody ? body.flat : body;
  return typeof params === 'object' && params !== null
    ? (params as Record<string, unknown>)[name]
    : undefined;
}

type ConfigRequest = { Querystring: { flatten_errors?: string; check_hash?: string } };

/**
 * Kong's declarative hash (declarative.get_current_hash): the MD5 of the text last loaded, with
 * the config version that load produced, so that any write since (here or on another control
 * plane) makes the next identical text load again.
 */
interface LoadedText {
  readonly md5: string;
  readonly version: number;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** A file part's text, read strictly as the YAML bodies are: a lossy decode would store U+FFFD. */
function fileText(field: string, bytes: Buffer): string {
  const text = decodeUtf8(bytes);
  if (!text.ok) throw new SchemaViolationError({ [field]: text.message });
  return text.value;
}

/**
 * A multipart/form-data body as Kong's params: every part by name, a file part
 * (`-F config=@kong.yml`) as its UTF-8 text. The parser's own limit errors keep their status
 * (413…); a body that does not parse is a 400.
 */
async function multipartParams(request: FastifyRequest, limit: number): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = {};
  // The parser bounds each part; the whole body is bounded here, as bodyLimit bounds other bodies.
  let total = 0;
  try {
    const parts = request.parts({
      limits: { fileSize: limit, fieldSize: limit, files: 4, fields: 16, parts: 20 },
    });
    for await (const part of parts) {
      const value =
        part.type === 'file' ? fileText(part.fieldname, await part.toBuffer()) : String(part.value);
      total += Buffer.byteLength(value);
      if (total > limit) throw new RequestBodyError('Request body too large', 413);
      params[part.fieldname] = value;
    }
  } catch (err) {
    if (
      err instanceof SchemaViolationError ||
      typeof (err as { statusCode?: unknown }).statusCode === 'number'
    )
      throw err;
    throw new RequestBodyError(`Cannot parse multipart/form-data body: ${(err as Error).message}`);
  }
  return params;
}

type Source = { kind: 'object'; value: Record<string, unknown> } | { kind: 'text'; value: string };

/** Kong's hydrate_config_from_request: the document itself, a `config` parameter, or the raw body. */
function sourceOf(body: unknown): Source | undefined {
  if (typeof body === 'string') return body.trim() === '' ? undefined : { kind: 'text', value: body };
  const params = body instanceof FormBody ? body.flat : body;
  if (typeof params !== 'object' || params === null) return undefined;
  const record = params as Record<string, unknown>;
  if (record._format_version !== undefined) {
    // Kong takes its options out of the params before they are the document.
    const { flatten_errors: _f, check_hash: _c, ...document } = record;
    return { kind: 'object', value: document };
  }
  // A repeated multipart or form field: Kong's argument decoder keeps the last one.
  const config = Array.isArray(record.config) ? record.config.at(-1) : record.config;
  if (typeof config === 'string' && config.trim() !== '') return { kind: 'text', value: config };
  if (typeof config === 'object' && config !== null && !Array.isArray(config))
    return { kind: 'object', value: config as Record<string, unknown> };
  return undefined;
}

/** What Kong hashes for `configuration_hash`: the text, or the JSON document as sent. */
function documentText(source: Source | undefined): string {
  if (source === undefined) return '';
  return source.kind === 'text' ? source.value : JSON.stringify(source.value);
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
      { parseAs: 'buffer' },
      (_req, body, done) => {
        // Read strictly: a lossy decode would store U+FFFD where the file had other bytes.
        const text = decodeUtf8(body as Buffer);
        if (text.ok) done(null, text.value);
        else done(new SchemaViolationError({ '@entity': [text.message] }), undefined);
      },
    );
    // Multipart bodies are read in the route (multipartParams), within the Admin API's body limit.
    await scope.register(multipart);
    const limit = app.initialConfig.bodyLimit ?? DEFAULT_ADMIN_BODY_LIMIT;
    const bodyOf = (request: FastifyRequest) =>
      request.isMultipart() ? multipartParams(request, limit) : Promise.resolve(request.body);
    let loaded: LoadedText | undefined;

    scope.get(
      '/config',
      { schema: { tags: ['config'], summary: 'The configuration as a declarative file' } },
      async () => ({
        config: await exportDeclarative(ctx.dao),
      }),
    );

    /** The request's declarative file, parsed and validated; undefined when the body holds none. */
    const parsed = (request: FastifyRequest<ConfigRequest>, body: unknown, source: Source | undefined) => {
      if (source === undefined) return undefined;
      try {
        const options = { pluginSchemas: ctx.pluginSchemas };
        return source.kind === 'object'
          ? parseDeclarativeObject(source.value, options)
          : parseDeclarative(source.value, options);
      } catch (err) {
        if (err instanceof DeclarativeParseError && truthy(param(request, body, 'flatten_errors')))
          throw err.withFlattenedErrors();
        throw err;
      }
    };
    const NO_CONFIG = { message: 'expected a declarative configuration' };

    scope.post<ConfigRequest>(
      '/config',
      { schema: { tags: ['config'], summary: 'Replace the whole configuration with a declarative file' } },
      async (request, reply) => {
        const body = await bodyOf(request);
        const source = sourceOf(body);
        const text = source?.kind === 'text' ? md5(source.value) : undefined;
        // Kong compares tostring(check_hash) with "1" only (older than its truthy()).
        if (
          String(param(request, body, 'check_hash')) === '1' &&
          text !== undefined &&
          text === loaded?.md5
        ) {
          if ((await ctx.dao.configVersion()) === loaded.version) return reply.code(304).send();
        }
        const config = parsed(request, body, source);
        if (config === undefined) return reply.code(400).send(NO_CONFIG);
        const before = await ctx.dao.configVersion();
        // DB-less: the file becomes the whole configuration in memory; else the database's.
        if (ctx.dbless !== undefined) await ctx.dbless.load(config, documentText(source));
        else await importDeclarative(ctx.dao, config, { mode: 'replace' });
        const after = await ctx.dao.configVersion();
        // One version more means no other write came between: the database holds exactly this file.
        loaded = text !== undefined && after - before <= 1 ? { md5: text, version: after } : undefined;
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
        const body = await bodyOf(request);
        const config = parsed(request, body, sourceOf(body));
        if (config === undefined) return reply.code(400).send(NO_CONFIG);
        return diffDeclarative(await readEntities(ctx.dao), config);
      },
    );
  });
}
