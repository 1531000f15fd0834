import { SECRET_CONFIG_KEYS, type TurnpikeConfig } from './schema.ts';

export const REDACTED = '******';

/** Secret keys (`x-secret` in the schema) show as '******'; an unset secret stays unset. */
export type RedactedConfig = { [K in keyof TurnpikeConfig]: TurnpikeConfig[K] | typeof REDACTED };

/** A copy safe to show (Admin API `GET /`, `turnpike config`): every set secret replaced by '******', as Kong does. */
export function redactConfig(config: TurnpikeConfig): RedactedConfig {
  const copy: Record<string, unknown> = { ...config };
  for (const key of SECRET_CONFIG_KEYS) {
    const value = copy[key];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    copy[key] = REDACTED;
  }
  return copy as RedactedConfig;
}
