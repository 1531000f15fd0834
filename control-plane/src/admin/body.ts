/**
 * Request bodies as Kong's Admin API takes them: JSON objects, and
 * application/x-www-form-urlencoded forms (`methods[]=GET&config.minute=5`), which stay flat
 * until the route knows the entity whose schema types them (coerceFormInput). Both are read as
 * bytes and decoded strictly: a string PostgreSQL cannot hold (NUL, invalid UTF-8, a lone
 * surrogate) is a schema violation naming its field, before any route runs.
 */
import { SchemaViolationError } from '@turnpike/shared';
import {
  coerceFormInput,
  type EntityDefinition,
  type FlatForm,
  type PluginSchemaLookup,
} from '@turnpike/shared/schema';
import type { FastifyInstance } from 'fastify';
import { findTextProblems, invalidUtf8At, problemFields, textProblem } from '../store/text.ts';
import { decodePairs, utf8ErrorAt } from './url-text.ts';

/** Kong's nginx_admin_client_max_body_size default: 10m. */
export const DEFAULT_ADMIN_BODY_LIMIT = 10 * 1024 * 1024;

/** A decoded form body, typed later by the schema of the entity it is for. */
export class FormBody {
  readonly flat: FlatForm;
  constructor(flat: FlatForm) {
    this.flat = flat;
  }
}

/** Repeated keys become arrays, as Kong's argument decoder keeps them. */
export function decodeForm(body: string | Buffer): FormBody {
  // A Buffer is raw bytes (a latin1 view keeps one char per byte); a string is text.
  const { pairs, problems } =
    typeof body === 'string' ? decodePairs(body) : decodePairs(body.toString('latin1'), { bytes: true });
  if (Object.keys(problems).length > 0) throw new SchemaViolationError(problems);
  const flat: Record<string, string | string[]> = {};
  for (const [key, value] of pairs) {
    const seen = flat[key];
    if (seen === undefined) flat[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else flat[key] = [seen, value];
  }
  return new FormBody(flat);
}

/**
 * Kong reads a body only for these methods (api_helpers NEEDS_BODY); for others it is ignored,
 * whatever it holds.
 */
const NEEDS_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * An empty body is unparseable, as in Kong (`curl -X POST -H 'Content-Type: application/json'`
 * without `-d` answers `Cannot parse JSON body`); so is anything but an object. Strings holding what PostgreSQL refuses are a schema violation naming the field;
 * when the bytes are not UTF-8, the strings that decoded with a replacement character are named.
 */
export function decodeJson(body: string | Buffer): Record<string, unknown> {
  const bad = typeof body === 'string' ? -1 : utf8ErrorAt(body);
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') throw new SyntaxError('empty JSON body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // A RangeError (nesting past the parser's stack) is as unparseable as a SyntaxError.
    throw err instanceof SyntaxError ? err : new SyntaxError('JSON body nested too deeply');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SyntaxError('a JSON body must be an object');
  }
  const problemOf =
    bad === -1
      ? textProblem
      : (s: string) => {
          const replaced = s.indexOf('\uFFFD');
          return replaced === -1 ? textProblem(s) : invalidUtf8At(replaced + 1);
        };
  const problems = findTextProblems(value, problemOf);
  if (problems.length > 0) throw new SchemaViolationError(problemFields(problems));
  if (bad !== -1) throw new SchemaViolationError({ '@entity': [invalidUtf8At(bad + 1)] });
  return value as Record<string, unknown>;
}

/** Installs the JSON and form parsers; SyntaxErrors become `400 Cannot parse JSON body` in errors.ts. */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(/^application\/(.+\+)?json$/, { parseAs: 'buffer' }, (req, body, done) => {
    if (!NEEDS_BODY.has(req.method)) {
      done(null, undefined);
      return;
    }
    try {
      done(null, decodeJson(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, decodeForm(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** The body as entity input: typed by the entity's schema when it came as a form. */
export function entityInput(
  def: EntityDefinition,
  body: unknown,
  pluginSchemas?: PluginSchemaLookup,
): Record<string, unknown> {
  if (body instanceof FormBody) {
    return pluginSchemas === undefined
      ? coerceFormInput(def, body.flat)
      : coerceFormInput(def, body.flat, { pluginSchemas });
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return { ...body };
  return {};
}
