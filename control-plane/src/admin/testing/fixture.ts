/** Test support: an Admin API over the real DAO, for fastify `inject` tests. */
import { buildConfig, createLogger, TURNPIKE_VERSION, type TurnpikeConfig } from '@turnpike/shared';
import {
  configRecord,
  definePluginSchema,
  type PluginSchema,
  type PluginSchemaLookup,
} from '@turnpike/shared/schema';
import type { FastifyInstance } from 'fastify';
import { createDao } from '../../dao/index.ts';
import type { Dao } from '../../dao/types.ts';
import { bootstrap, type Datastore, openDatastore } from '../../store/index.ts';
import { buildAdminApi } from '../server.ts';

export const rateLimiting = definePluginSchema({
  name: 'rate-limiting',
  fields: {
    config: configRecord(
      {
        minute: { type: 'number', gt: 0 },
        hour: { type: 'number', gt: 0 },
        policy: { type: 'string', default: 'local', one_of: ['local', 'cluster', 'redis'] },
      },
      [{ at_least_one_of: ['minute', 'hour'] }],
    ),
  },
});
export const keyAuth = definePluginSchema({
  name: 'key-auth',
  fields: {
    config: configRecord({ key_names: { type: 'array', elements: { type: 'string' }, default: ['apikey'] } }),
  },
});

const PLUGINS = new Map<string, PluginSchema>([
  [rateLimiting.name, rateLimiting],
  [keyAuth.name, keyAuth],
]);
export const pluginSchemas: PluginSchemaLookup = (name) => PLUGINS.get(name);

export interface TestAdmin extends AsyncDisposable {
  readonly app: FastifyInstance;
  readonly dao: Dao;
  readonly config: TurnpikeConfig;
}

/**
 * An Admin API over the real DAO: on in-memory PGlite (a real PostgreSQL in WebAssembly:
 * seconds to start, so a suite opens one and shares it), or on PostgreSQL at `dsn`. Pass `dao`
 * to build another Admin API (other settings) over the same database.
 */
export type OpenTestAdmin = (overrides?: Partial<TurnpikeConfig>) => Promise<TestAdmin>;

export async function openTestAdmin(
  overrides: Partial<TurnpikeConfig> = {},
  options: { readonly dao?: Dao; readonly dsn?: string; readonly bodyLimit?: number } = {},
): Promise<TestAdmin> {
  const base = buildConfig({ env: {}, cwd: '/tmp' }).config;
  const config = { ...base, ...overrides } as TurnpikeConfig;
  let datastore: Datastore | undefined;
  let dao = options.dao;
  if (dao === undefined) {
    datastore = await openDatastore(
      options.dsn === undefined ? { kind: 'memory' } : { kind: 'postgres', connectionString: options.dsn },
    );
    await bootstrap(datastore, createLogger({ level: 'silent' }));
    dao = createDao(datastore, { pluginSchemas, secrets: ['test-secret-0123456789abcdef'] });
  }
  const app = buildAdminApi({
    dao,
    log: createLogger({ level: 'silent' }),
    config,
    nodeId: '6f1c2b0e-8d4b-4d0a-9a57-3f1f4c1f0e11',
    hostname: 'test-node',
    version: TURNPIKE_VERSION,
    pluginsAvailable: [...PLUGINS.keys()],
    pluginSchemas,
    datastoreReachable: async () => true,
    ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
  });
  await app.ready();
  return {
    app,
    dao,
    config,
    async [Symbol.asyncDispose]() {
      await app.close();
      await datastore?.close();
    },
  };
}
