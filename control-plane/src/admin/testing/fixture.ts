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
import { type AdminApiOptions, buildAdminApi } from '../server.ts';

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
/** What `GET /` lists: the priorities of Kong's handlers, a version of the test's own. */
const AVAILABLE = [
  { name: rateLimiting.name, version: '1.0.0', priority: 910 },
  { name: keyAuth.name, version: '1.0.0', priority: 1250 },
];
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
    pluginsAvailable: AVAILABLE,
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

/**
 * An Admin API over no datastore, for routes that must not reach one: the DAO throws on any use
 * (`configVersion` may be given, for `/status`). Not ready yet: add to it, then `ready()`.
 */
export function buildBareAdminApi(
  options: Partial<AdminApiOptions> & { readonly configVersion?: number } = {},
): FastifyInstance {
  const { configVersion, ...rest } = options;
  const dao = new Proxy({} as Dao, {
    get: (_target, property) => {
      if (property === 'configVersion' && configVersion !== undefined) return async () => configVersion;
      throw new Error(`the DAO's ${String(property)} is not used here`);
    },
  });
  return buildAdminApi({
    dao,
    log: createLogger({ level: 'silent' }),
    config: buildConfig({ env: {}, cwd: '/tmp' }).config,
    nodeId: '6f1c2b0e-8d4b-4d0a-9a57-3f1f4c1f0e11',
    hostname: 'test-node',
    version: TURNPIKE_VERSION,
    pluginsAvailable: [],
    pluginSchemas: () => undefined,
    datastoreReachable: async () => true,
    ...rest,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
export type Json = Record<string, any>;

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  /** The body parsed as JSON; undefined when empty. */
  readonly body: Json;
}

/** One request through `inject`: a string payload goes as is, anything else as JSON. */
export async function injectJson(
  app: FastifyInstance,
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonAnswer> {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as string }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (res.body === '' ? undefined : res.json()) as Json,
  };
}
