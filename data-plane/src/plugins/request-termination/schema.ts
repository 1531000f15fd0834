/** request-termination's configuration (Kong 3.10 kong/plugins/request-termination/schema.lua). */
import { definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

const present = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** Kong's record-level custom_validator, its messages word for word. */
export function checkConfig(config: Record<string, unknown>): string | undefined {
  if (present(config.message) && (present(config.content_type) || present(config.body)))
    return 'message cannot be used with content_type or body';
  if (present(config.content_type) && !present(config.body)) return 'content_type requires a body';
  if (config.echo === true && (present(config.content_type) || present(config.body)))
    return 'echo cannot be used with content_type and body';
  return undefined;
}

export const schema = definePluginSchema({
  name: 'request-termination',
  fields: {
    protocols: typedefs.protocolsHttp(),
    config: {
      type: 'record',
      required: true,
      custom_validator: checkConfig as (v: never) => string | undefined,
      fields: {
        status_code: { type: 'integer', required: true, default: 503, between: [100, 599] },
        message: { type: 'string' },
        content_type: { type: 'string' },
        body: { type: 'string' },
        echo: { type: 'boolean', required: true, default: false },
        trigger: typedefs.headerName(),
      },
    },
  },
});

export type RequestTerminationConfig = PluginConfigOf<typeof schema>;
