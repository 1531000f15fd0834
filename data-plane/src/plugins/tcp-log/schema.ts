/** tcp-log's configuration (Kong 3.10 kong/plugins/tcp-log/schema.lua). */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const schema = definePluginSchema({
  name: 'tcp-log',
  fields: {
    protocols: typedefs.protocols(),
    config: configRecord({
      host: typedefs.host({ required: true, description: 'The IP address or host name to send data to.' }),
      port: typedefs.port({
        required: true,
        description: 'The port to send data to on the upstream server.',
      }),
      timeout: {
        type: 'number',
        default: 10_000,
        description: 'An optional timeout in milliseconds when sending data to the upstream server.',
      },
      keepalive: {
        type: 'number',
        default: 60_000,
        description:
          'An optional value in milliseconds that defines how long an idle connection lives before being closed.',
      },
      tls: {
        type: 'boolean',
        required: true,
        default: false,
        description: 'Indicates whether to perform a TLS handshake against the remote server.',
      },
      tls_sni: {
        type: 'string',
        description:
          'An optional string that defines the SNI (Server Name Indication) hostname to send in the TLS handshake.',
      },
      custom_fields_by_lua: typedefs.luaCode(),
    }),
  },
});

export type TcpLogConfig = PluginConfigOf<typeof schema>;
