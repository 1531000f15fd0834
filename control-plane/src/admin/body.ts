/**
 * Request bodies as Kong's Admin API takes them: JSON objects, and
 * application/x-www-form-urlencoded forms (`methods[]=GET&config.minute=5`), which stay flat
 * until the route knows the entity whose schema types them (coerceFormInput).
 */
import {
  coerceFormInput,
  type EntityDefinition,
  type FlatForm,
  type PluginSchemaLookup,
} from '@turnpike/shared/schema';
import type { FastifyInstance } from 'fastify';

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
export function decodeForm(text: string): FormBody {
  const flat: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = flat[key];
    if (seen === undefined) flat[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else flat[key] = [seen, value];
  }
  return new FormBody(flat);
}

/** An empty body is `{}` (curl -X POST with a JSON content type); anything but an object is unparseable. */
export function decodeJson(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SyntaxError('a JSON body must be an object');
  }
  return value as Record<string, unknown>;
}

/** Installs the JSON and form parsers; SyntaxErrors become `400 Cannot parse JSON body` in errors.ts. */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(/^application\/(.+\+)?json$/, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, decodeJson(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, decodeForm(body as string));
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
