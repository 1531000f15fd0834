/**
 * The DAO of a DB-less node (Kong's `off` strategy, kong/db/strategies/off/init.lua): reads
 * answer from the in-memory tables of the declarative file exactly as the datastore DAO answers
 * (id order, Kong's page size and offset errors, tags filters, nested scopes, certificates with
 * their `snis`); every write is Kong's `operation unsupported` (405), `cannot create 'routes'
 * entities when not using a database`, with `by '<field>'` when the entity is named by its
 * endpoint key, as Kong's `*_by_field` methods say it.
 */
import { OperationUnsupportedError } from '@turnpike/shared';
import type { EntityName } from '@turnpike/shared/schema';
import { invalidPrimaryKey } from '../dao/errors.ts';
import { type TableModel, tableModel } from '../dao/model.ts';
import { decodeOffset, encodeOffset, isUuid, pageSize } from '../dao/pagination.ts';
import type { EntitySet, SnapshotReader } from '../dao/snapshot-read.ts';
import type {
  Dao,
  EntityDao,
  EntityRow,
  ListOptions,
  Page,
  ParentScope,
  WriteOptions,
} from '../dao/types.ts';
import { entitySetOf, type Tables } from './tables.ts';

/** What the DAO reads: the tables in force now and their version. */
export interface TablesView {
  tables(): Tables;
  version(): number;
}

function unsupported(model: TableModel, operation: string, idOrKey?: string): OperationUnsupportedError {
  const by =
    idOrKey !== undefined && !isUuid(idOrKey) && model.endpointKey !== undefined
      ? ` by '${model.endpointKey}'`
      : '';
  return new OperationUnsupportedError(
    `cannot ${operation} '${model.name}' entities${by} when not using a database`,
  );
}

function foreignId(row: EntityRow, field: string): string | undefined {
  const value = row[field];
  return typeof value === 'object' && value !== null ? (value as { id?: string }).id : undefined;
}

function inScope(row: EntityRow, scope: ParentScope | undefined): boolean {
  return scope === undefined || foreignId(row, scope.field)?.toLowerCase() === scope.id.toLowerCase();
}

function tagged(row: EntityRow, options: ListOptions): boolean {
  const { all, any } = options.tags ?? {};
  if ((all === undefined || all.length === 0) && (any === undefined || any.length === 0)) return true;
  const tags = Array.isArray(row.tags) ? (row.tags as unknown[]) : [];
  if (all !== undefined && all.length > 0 && !all.every((t) => tags.includes(t))) return false;
  if (any !== undefined && any.length > 0 && !any.some((t) => tags.includes(t))) return false;
  return true;
}

function createEntityDao(model: TableModel, view: TablesView): EntityDao {
  const name = model.name;
  /** Certificates carry their SNI names, sorted, as the datastore DAO's `decorate` gives them. */
  const present = (tables: Tables, row: EntityRow): EntityRow => {
    if (name !== 'certificates') return row;
    const snis = tables.snis.rows
      .filter((sni) => foreignId(sni, 'certificate') === row.id)
      .map((sni) => sni.name as string)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { ...row, snis };
  };
  const find = (tables: Tables, idOrKey: string, scope: ParentScope | undefined) => {
    let row: EntityRow | undefined;
    if (isUuid(idOrKey)) row = tables[name].byId.get(idOrKey.toLowerCase());
    else if (model.endpointKey === undefined) throw invalidPrimaryKey();
    else row = tables[name].byField.get(model.endpointKey)?.get(idOrKey);
    return row !== undefined && inScope(row, scope) ? row : undefined;
  };
  return {
    name,
    async list(options: ListOptions = {}): Promise<Page> {
      const size = pageSize(options.size);
      const after = options.offset === undefined ? undefined : decodeOffset(options.offset).toLowerCase();
      if (options.scope !== undefined && !isUuid(options.scope.id)) return { data: [] };
      const tables = view.tables();
      const data: EntityRow[] = [];
      let more = false;
      for (const row of tables[name].rows) {
        if (after !== undefined && row.id.toLowerCase() <= after) continue;
        if (!inScope(row, options.scope) || !tagged(row, options)) continue;
        if (data.length === size) {
          more = true;
          break;
        }
        data.push(present(tables, row));
      }
      const last = data.at(-1);
      return more && last !== undefined ? { data, offset: encodeOffset(last.id) } : { data };
    },
    async get(idOrKey: string, options: WriteOptions = {}) {
      const tables = view.tables();
      const row = find(tables, idOrKey, options.scope);
      return row === undefined ? undefined : present(tables, row);
    },
    async getByUnique(field: string, value: string) {
      if (!model.uniques.some((u) => u.fields.length === 1 && u.fields[0] === field))
        throw new TypeError(`'${field}' is not a unique field of '${name}'`);
      const tables = view.tables();
      const row = tables[name].byField.get(field)?.get(value);
      return row === undefined ? undefined : present(tables, row);
    },
    insert: () => Promise.reject(unsupported(model, 'create')),
    update: (idOrKey: string) => Promise.reject(unsupported(model, 'update', idOrKey)),
    upsert: (idOrKey: string) => Promise.reject(unsupported(model, 'create or update', idOrKey)),
    upsertMany: () => Promise.reject(unsupported(model, 'create or update')),
    delete: (idOrKey: string) => Promise.reject(unsupported(model, 'remove', idOrKey)),
  };
}

export function createMemoryDao(view: TablesView): Dao & SnapshotReader {
  const daos = new Map<EntityName, EntityDao>();
  const dao: Dao & SnapshotReader = {
    entity(name) {
      let entity = daos.get(name);
      if (entity === undefined) {
        entity = createEntityDao(tableModel(name), view);
        daos.set(name, entity);
      }
      return entity;
    },
    transaction: (fn) => fn(dao),
    configVersion: async () => view.version(),
    exportAll: async (): Promise<EntitySet> => entitySetOf(view.tables()),
    readChanged: () => Promise.reject(new TypeError('a DB-less node has no change log')),
  };
  return dao;
}
