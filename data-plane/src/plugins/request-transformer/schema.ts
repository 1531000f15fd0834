/** request-transformer's configuration (Kong 3.10 kong/plugins/request-transformer/schema.lua). */
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';
import { pairOf } from './pairs.ts';
import { compileTemplate } from './template.ts';

/** Kong's validate_header_name: an RFC 7230 token. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function templateError(value: string): string | undefined {
  const compiled = compileTemplate(value);
  return 'error' in compiled
    ? `value '${value}' is not in supported format, error:${compiled.error}`
    : undefined;
}

/** Kong's check_for_value: `name:value`, the value a template this gateway can render. */
export function checkForValue(entry: string): string | undefined {
  const { name, value } = pairOf(entry);
  if (value === '') return `key '${name}' has no value`;
  return templateError(value);
}

/** Kong's validate_headers: the name a header name (and, for rename, the value too); templates checked. */
export function validateHeaders(entry: string): string | undefined {
  const { name, value } = pairOf(entry);
  if (!TOKEN.test(name)) return `'${name}' is not a valid header`;
  return value === '' ? undefined : templateError(value);
}

export function validateColonHeaders(entry: string): string | undefined {
  const { name, value } = pairOf(entry);
  if (!TOKEN.test(name)) return `'${name}' is not a valid header`;
  if (!TOKEN.test(value)) return `'${value}' is not a valid header`;
  return undefined;
}

const v = (fn: (s: string) => string | undefined) => fn as (value: never) => string | undefined;

const stringsArray = { type: 'array', default: [], required: true, elements: { type: 'string' } } as const;
const headersArray = {
  type: 'array',
  default: [],
  required: true,
  elements: { type: 'string', custom_validator: v(validateHeaders) },
} as const;
const colonStringsArray = {
  type: 'array',
  default: [],
  required: true,
  elements: { type: 'string', custom_validator: v(checkForValue) },
} as const;
const colonHeaderValueArray = {
  type: 'array',
  default: [],
  required: true,
  elements: { type: 'string', match: /^[^:]+:.*$/, custom_validator: v(validateHeaders) },
} as const;
const colonHeadersArray = {
  type: 'array',
  default: [],
  required: true,
  elements: { type: 'string', match: /^[^:]+:.*$/, custom_validator: v(validateColonHeaders) },
} as const;

const colonRecord = {
  type: 'record',
  required: true,
  fields: { body: colonStringsArray, headers: colonHeaderValueArray, querystring: colonStringsArray },
} as const;

export const schema = definePluginSchema({
  name: 'request-transformer',
  fields: {
    protocols: typedefs.protocols(),
    config: {
      type: 'record',
      required: true,
      fields: {
        http_method: { type: 'string', match: /^[A-Z]+$/ },
        remove: {
          type: 'record',
          required: true,
          fields: { body: stringsArray, headers: headersArray, querystring: stringsArray },
        },
        rename: {
          type: 'record',
          required: true,
          fields: { body: colonStringsArray, headers: colonHeadersArray, querystring: colonStringsArray },
        },
        replace: {
          type: 'record',
          required: true,
          fields: {
            body: colonStringsArray,
            headers: colonHeaderValueArray,
            querystring: colonStringsArray,
            uri: { type: 'string', custom_validator: v(templateError) },
          },
        },
        add: colonRecord,
        append: colonRecord,
      },
    },
  },
});

export type RequestTransformerConfig = PluginConfigOf<typeof schema>;
