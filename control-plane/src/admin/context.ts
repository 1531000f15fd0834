import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import type { Dao } from '../dao/types.ts';
import type { DeclarativeConfig } from '../declarative/types.ts';

/**
 * A DB-less node's configuration (`database = off`): `POST /config` loads a file into it
 * instead of writing the datastore; `GET /status` reports its hash as Kong does.
 */
export interface DblessConfig {
  /** Replaces the whole configuration; resolves with the new config version. */
  load(config: DeclarativeConfig, text: string): Promise<number>;
  /** Kong's `configuration_hash`: the MD5 of what was loaded last, 32 zeros before anything. */
  configurationHash(): string;
}

/** What the entity routes need: the DAO and the plugin schemas that type plugin configs. */
export interface AdminContext {
  readonly dao: Dao;
  readonly pluginSchemas: PluginSchemaLookup;
  /** Present on a DB-less node. */
  readonly dbless?: DblessConfig;
}
