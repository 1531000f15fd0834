/** Test support: a plugin's config as the control plane would store it (schema defaults filled). */
import type { PluginSchema } from '@turnpike/plugin-sdk';
import { SchemaViolationError } from '@turnpike/shared';
import { validateEntity } from '@turnpike/shared/schema';

export function configOf(
  schema: PluginSchema,
  config: Record<string, unknown> = {},
): Record<string, unknown> {
  const result = validateEntity(
    'plugins',
    { name: schema.name, config },
    { operation: 'insert', pluginSchemas: (n) => (n === schema.name ? schema : undefined) },
  );
  if (!result.ok) throw new SchemaViolationError(result.fields);
  return result.value.config;
}
