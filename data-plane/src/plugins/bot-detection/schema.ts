/** bot-detection's configuration (Kong 3.10 kong/plugins/bot-detection/schema.lua). */
import { definePluginSchema, noConsumer, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

/** Kong's `is_regex` (here: compiles as a JavaScript RegExp), in Kong's words. */
export function validateRegex(value: string): string | undefined {
  try {
    new RegExp(value);
    return undefined;
  } catch {
    return `not a valid regex: ${value}`;
  }
}

const regex = {
  type: 'string',
  custom_validator: validateRegex as (v: never) => string | undefined,
} as const;

export const schema = definePluginSchema({
  name: 'bot-detection',
  fields: {
    consumer: noConsumer,
    protocols: typedefs.protocolsHttp(),
    config: {
      type: 'record',
      required: true,
      fields: {
        allow: { type: 'array', elements: regex, default: [] },
        deny: { type: 'array', elements: regex, default: [] },
      },
    },
  },
});

export type BotDetectionConfig = PluginConfigOf<typeof schema>;
