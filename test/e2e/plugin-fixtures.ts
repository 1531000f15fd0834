/** Shared by the plugin e2e tests: entities stored as the control plane would store them. */
import assert from 'node:assert/strict';
import type { LoadedPlugins } from '@turnpike/shared/plugins';
import { type EntityName, validateEntity } from '@turnpike/shared/schema';

export type Entities = Partial<Record<EntityName, Record<string, unknown>[]>>;

/** Validates as the control plane would (defaults filled, plugin configs by their schema). */
export function stored(plugins: LoadedPlugins, entities: Entities): Map<string, Map<string, unknown>> {
  const content = new Map<string, Map<string, unknown>>();
  for (const [type, list] of Object.entries(entities) as [EntityName, Record<string, unknown>[]][]) {
    const byId = new Map<string, unknown>();
    for (const input of list) {
      const result = validateEntity(type, input, { operation: 'insert', pluginSchemas: plugins.schemas });
      assert.ok(result.ok, `${type}: ${JSON.stringify(result.ok ? '' : result.fields)}`);
      const value = result.value as Record<string, unknown>;
      byId.set(input.id as string, {
        ...value,
        ...input,
        ...(value.config === undefined ? {} : { config: value.config }),
      });
    }
    content.set(type, byId);
  }
  return content;
}

/** A plugin instance on one route. */
export function plugin(name: string, routeId: string, config: Record<string, unknown> = {}) {
  return { id: crypto.randomUUID(), name, route: { id: routeId }, config };
}
