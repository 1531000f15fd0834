/** jwt's credentials (kong/plugins/jwt/daos.lua): a key, a secret or a public key, an algorithm. */
import { createPublicKey } from 'node:crypto';
import * as t from '../typedefs.ts';
import type { EntityDefinition, ForeignField } from '../types.ts';

const consumer = {
  type: 'foreign',
  reference: 'consumers',
  required: true,
  on_delete: 'cascade',
} as const satisfies ForeignField;

export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const;

function validatePublicKey(key: string): string | undefined {
  try {
    createPublicKey(key);
    return undefined;
  } catch {
    return 'invalid key';
  }
}

export const jwtSecrets = {
  name: 'jwt_secrets',
  plugin: 'jwt',
  endpoint: '/jwts',
  nested_endpoint: 'jwt',
  primary_key: ['id'],
  endpoint_key: 'key',
  cache_key: ['key'],
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    consumer,
    key: { type: 'string', required: false, unique: true, auto: true },
    secret: { type: 'string', auto: true, sensitive: 'encrypt' },
    rsa_public_key: { type: 'string' },
    algorithm: { type: 'string', default: 'HS256', one_of: JWT_ALGORITHMS },
    tags: t.tags(),
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'algorithm',
        if_match: { not_one_of: ['HS256', 'HS384', 'HS512'] },
        then_field: 'rsa_public_key',
        then_match: {
          required: true,
          custom_validator: validatePublicKey as (value: never) => string | undefined,
        },
      },
    },
  ],
} as const satisfies EntityDefinition;
