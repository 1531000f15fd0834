import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import type { Dao } from '../dao/types.ts';

/** What the entity routes need: the DAO and the plugin schemas that type plugin configs. */
export interface AdminContext {
  readonly dao: Dao;
  readonly pluginSchemas: PluginSchemaLookup;
}
