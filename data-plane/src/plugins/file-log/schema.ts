/** file-log's configuration (Kong 3.10 kong/plugins/file-log/schema.lua). */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'file-log',
  fields: {
    protocols: typedefs.protocols(),
    config: configRecord({
      path: {
        type: 'string',
        required: true,
        // Kong's Lua pattern [[^[^%s*&%%\`][^*&%%\`]*[^%s*&%%\`]$]].
        match: /^[^\s*&%\\`][^*&%\\`]*[^\s*&%\\`]$/,
        err: 'not a valid filename',
        description:
          "The file path of the output log file. The plugin creates the log file if it doesn't exist yet.",
      },
      reopen: {
        type: 'boolean',
        required: true,
        default: false,
        description: 'Determines whether the log file is closed and reopened on every request.',
      },
      custom_fields_by_lua: typedefs.luaCode(),
    }),
  },
});

export type FileLogConfig = PluginConfigOf<typeof schema>;
