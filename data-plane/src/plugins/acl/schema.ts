/** acl's configuration (Kong 3.x kong/plugins/acl/schema.lua). */
import {
  configRecord,
  definePluginSchema,
  noConsumer,
  type PluginConfigOf,
  typedefs,
} from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'acl',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: configRecord({
      allow: { type: 'array', elements: { type: 'string' } },
      deny: { type: 'array', elements: { type: 'string' } },
      hide_groups_header: { type: 'boolean', required: true, default: false },
      always_use_authenticated_groups: { type: 'boolean', required: true, default: false },
    }),
  },
  // On the plugin, not its config, so that messages name `config.allow` as Kong's do.
  entity_checks: [
    { only_one_of: ['config.allow', 'config.deny'] },
    { at_least_one_of: ['config.allow', 'config.deny'] },
  ],
});

export type AclConfig = PluginConfigOf<typeof schema>;
