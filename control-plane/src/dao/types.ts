/**
 * The DAO contract: what the Admin API, declarative import/export and the snapshot builder use
 * to read and write entities. One implementation over the Datastore (PostgreSQL or PGlite);
 * every write validates with the shared entity schemas, runs in one transaction that also bumps
 * the config version (store/config-version), and throws the Kong errors of shared/src/errors.ts.
 */
import type { EntityName, PluginSchemaLookup } from '@turnpike/shared/schema';

/** An entity as stored and returned by the Admin API (Kong's JSON shape; foreign keys as `{ id }`). */
export type EntityRow = Record<string, unknown> & { id: string };

/** Restricts a call to the children of one parent, for nested endpoints: `/services/{s}/routes`. */
export interface ParentScope {
  /** The foreign-key field on the child, e.g. `service` for routes, `consumer` for credentials. */
  readonly field: string;
  /** The parent's id (the Admin API resolves names to ids first). */
  readonly id: string;
}

export interface TagFilter {
  /** `tags=a,b`: entities having every tag. */
  readonly all?: readonly string[];
  /** `tags=a/b`: entities having any of the tags. */
  readonly any?: readonly string[];
}

export interface ListOptions {
  /** Page size, 1..1000 (Kong's default 100); out of range → InvalidSizeError. */
  readonly size?: number;
  /** The opaque `offset` a previous page returned; malformed → InvalidOffsetError. */
  readonly offset?: string;
  readonly tags?: TagFilter;
  readonly scope?: ParentScope;
}

export interface Page<T = EntityRow> {
  readonly data: T[];
  /** Present when there is a next page: pass it back as `offset`. */
  readonly offset?: string;
}

export interface WriteOptions {
  /** For nested endpoints: the child is created under / must belong to this parent. */
  readonly scope?: ParentScope;
}

export interface EntityDao {
  readonly name: EntityName;
  list(options?: ListOptions): Promise<Page>;
  /** By UUID, or by the entity's endpoint_key (name, username…) when `idOrKey` is not a UUID. */
  get(idOrKey: string, options?: WriteOptions): Promise<EntityRow | undefined>;
  /** By a unique field (`custom_id` of consumers): TypeError when the field is not one. */
  getByUnique(field: string, value: string): Promise<EntityRow | undefined>;
  /** POST: validate (insert), store, bump the version. */
  insert(input: Record<string, unknown>, options?: WriteOptions): Promise<EntityRow>;
  /** PATCH: merge onto the stored entity, validate (update); NotFoundError when absent. */
  update(idOrKey: string, input: Record<string, unknown>, options?: WriteOptions): Promise<EntityRow>;
  /** PUT: create or replace (upsert) by id or endpoint key. */
  upsert(idOrKey: string, input: Record<string, unknown>, options?: WriteOptions): Promise<EntityRow>;
  /**
   * PUT of many at once (declarative import): each input names its entity by `id`; the same
   * validation, errors and recorded changes as `upsert` one by one, in a few statements per
   * batch. Returns how many were written.
   */
  upsertMany(inputs: readonly (Record<string, unknown> & { id: unknown })[]): Promise<number>;
  /** DELETE: cascades as the schema says; refuses (ForeignKeyViolationError) when still referenced. Idempotent. */
  delete(idOrKey: string, options?: WriteOptions): Promise<void>;
}

export interface Dao {
  entity(name: EntityName): EntityDao;
  /** Several writes as one: all succeed and the version bumps once, or nothing changes. */
  transaction<T>(fn: (dao: Dao) => Promise<T>): Promise<T>;
  /** The current config version (0 for an empty database). */
  configVersion(): Promise<number>;
}

export interface DaoOptions {
  /** Validates the `config` of plugins entities; plugins not listed are "not enabled". */
  readonly pluginSchemas: PluginSchemaLookup;
  /** `secrets_default`: keys for fields marked `sensitive: 'encrypt'`. */
  readonly secrets: readonly string[];
}
