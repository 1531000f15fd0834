/** response-transformer's configuration (Kong 3.10 kong/plugins/response-transformer/schema.lua). */
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';
import { pairOf } from './pairs.ts';

/** Kong's validate_header_name: an RFC 7230 token. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** rename.headers: `old:new`, both header names. */
export function validateColonHeaders(pair: string): string | undefined {
  const { name, value } = pairOf(pair);
  if (!TOKEN.test(name)) return `'${name}' is not a valid header`;
  if (!TOKEN.test(value)) return `'${value}' is not a valid header`;
  return undefined;
}

const stringArray = { type: 'array', default: [], required: true, elements: { type: 'string' } } as const;
const colonStringArray = {
  type: 'array',
  default: [],
  required: true,
  elements: { type: 'string', match: /^[^:]+:.*$/ },
} as const;
const jsonTypes = {
  type: 'array',
  default: [],
  required: true,
  elements: { type: 'string', one_of: ['boolean', 'number', 'string'] },
} as const;
const colonStringRecord = {
  type: 'record',
  required: true,
  fields: { json: colonStringArray, json_types: jsonTypes, headers: colonStringArray },
} as const;

export const schema = definePluginSchema({
  name: 'response-transformer',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: {
      type: 'record',
      required: true,
      fields: {
        remove: { type: 'record', required: true, fields: { json: stringArray, headers: stringArray } },
        rename: {
          type: 'record',
          required: true,
          fields: {
            json: colonStringArray,
            headers: {
              type: 'array',
              default: [],
              required: true,
              elements: {
                type: 'string',
                match: /^[^:]+:.*$/,
                custom_validator: validateColonHeaders as (v: never) => string | undefined,
              },
            },
          },
        },
        replace: colonStringRecord,
        add: colonStringRecord,
        append: colonStringRecord,
      },
    },
  },
});

export type ResponseTransformerConfig = PluginConfigOf<typeof schema>;
