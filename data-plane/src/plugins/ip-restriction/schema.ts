/** ip-restriction's configuration (Kong 3.10 kong/plugins/ip-restriction/schema.lua). */
import { isIP } from 'node:net';
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

/** Kong's typedefs.ip_or_cidr: an IPv4 or IPv6 address, with an optional prefix length. */
export function validateIpOrCidr(value: string): string | undefined {
  const [ip, prefix, ...rest] = value.split('/');
  const family = rest.length === 0 && ip !== undefined ? isIP(ip) : 0;
  const valid =
    family !== 0 &&
    (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
  return valid ? undefined : `invalid ip or cidr range: '${value}'`;
}

const ipOrCidr = {
  type: 'string',
  custom_validator: validateIpOrCidr as (v: never) => string | undefined,
} as const;

export const schema = definePluginSchema({
  name: 'ip-restriction',
  fields: {
    protocols: typedefs.protocols({ default: ['http', 'https', 'tcp', 'tls', 'grpc', 'grpcs'] }),
    config: {
      type: 'record',
      required: true,
      fields: {
        allow: { type: 'array', elements: ipOrCidr },
        deny: { type: 'array', elements: ipOrCidr },
        status: { type: 'number', required: false },
        message: { type: 'string', required: false },
      },
    },
  },
  entity_checks: [{ at_least_one_of: ['config.allow', 'config.deny'] }],
});

export type IpRestrictionConfig = PluginConfigOf<typeof schema>;
