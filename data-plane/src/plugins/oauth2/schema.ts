/** oauth2's configuration (Kong 3.10 kong/plugins/oauth2/schema.lua). */
import {
  configRecord,
  definePluginSchema,
  noConsumer,
  type PluginConfigOf,
  typedefs,
} from '@turnpike/plugin-sdk';

const FLOWS = [
  'enable_authorization_code',
  'enable_implicit_grant',
  'enable_client_credentials',
  'enable_password_grant',
] as const;

/** Kong's validate_flows, the config record's custom_validator: the message lands on `config`. */
function validateFlows(config: Record<string, unknown>): string | undefined {
  if (FLOWS.some((flow) => config[flow] === true)) return undefined;
  return `at least one of these fields must be true: ${FLOWS.join(', ')}`;
}

const config = configRecord(
  {
    scopes: { type: 'array', elements: { type: 'string' } },
    mandatory_scope: { type: 'boolean', default: false, required: true },
    provision_key: { type: 'string', auto: true, required: true },
    token_expiration: { type: 'number', default: 7200, required: true },
    enable_authorization_code: { type: 'boolean', default: false, required: true },
    enable_implicit_grant: { type: 'boolean', default: false, required: true },
    enable_client_credentials: { type: 'boolean', default: false, required: true },
    enable_password_grant: { type: 'boolean', default: false, required: true },
    hide_credentials: { type: 'boolean', default: false, required: true },
    accept_http_if_already_terminated: { type: 'boolean', default: false, required: true },
    anonymous: { type: 'string' },
    global_credentials: { type: 'boolean', default: false, required: true },
    auth_header_name: { type: 'string', default: 'authorization' },
    // Kong's typedefs.ttl: between 0 and DAO_MAX_TTL (1e8).
    refresh_token_ttl: { type: 'number', between: [0, 100000000], default: 1209600, required: true },
    reuse_refresh_token: { type: 'boolean', default: false, required: true },
    pkce: { type: 'string', default: 'lax', required: false, one_of: ['none', 'lax', 'strict'] },
    realm: { type: 'string', required: false },
  },
  [
    {
      conditional: {
        if_field: 'mandatory_scope',
        if_match: { eq: true },
        then_field: 'scopes',
        then_match: { required: true },
      },
    },
  ],
);

export const schema = definePluginSchema({
  name: 'oauth2',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: { ...config, custom_validator: validateFlows as (value: never) => string | undefined },
  },
});

export type OAuth2Config = PluginConfigOf<typeof schema>;
