/** Kong's services entity (kong/db/schema/entities/services.lua, 3.x). */
import * as t from '../typedefs.ts';
import type { EntityDefinition, IntegerField } from '../types.ts';
import { expandServiceUrl } from '../url.ts';

const nonzeroTimeout = {
  type: 'integer',
  between: [1, 2 ** 31 - 2],
  default: 60000,
} as const satisfies IntegerField;
const TLS_PROTOCOLS = ['https', 'tls'];

export const services = {
  name: 'services',
  endpoint: '/services',
  primary_key: ['id'],
  endpoint_key: 'name',
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    name: t.name(),
    retries: { type: 'integer', default: 5, between: [0, 32767] },
    protocol: t.protocol({ required: true, default: 'http' }),
    host: t.host({ required: true }),
    port: t.port({ required: true, default: 80 }),
    path: t.path(),
    connect_timeout: nonzeroTimeout,
    write_timeout: nonzeroTimeout,
    read_timeout: nonzeroTimeout,
    tags: t.tags(),
    client_certificate: { type: 'foreign', reference: 'certificates' },
    tls_verify: { type: 'boolean' },
    tls_verify_depth: { type: 'integer', default: null, between: [0, 64] },
    ca_certificates: { type: 'array', elements: { type: 'string', uuid: true } },
    enabled: { type: 'boolean', required: true, default: true },
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'protocol',
        if_match: { one_of: ['tcp', 'tls', 'udp', 'grpc', 'grpcs'] },
        then_field: 'path',
        then_match: { eq: null },
      },
    },
    ...(['client_certificate', 'tls_verify', 'tls_verify_depth', 'ca_certificates'] as const).map(
      (then_field) => ({
        conditional: {
          if_field: 'protocol',
          if_match: { not_one_of: TLS_PROTOCOLS },
          then_field,
          then_match: { eq: null },
        },
      }),
    ),
  ],
  shorthand_fields: {
    url: { type: 'string', func: expandServiceUrl },
  },
} as const satisfies EntityDefinition;
