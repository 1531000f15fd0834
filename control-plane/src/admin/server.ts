/**
 * The Kong-compatible Admin API as one fastify instance, not listening: the caller wires the
 * listeners (admin_listen). Entity routes are generated from the schemas (endpoints.ts);
 * errors become Kong's JSON in errors.ts only.
 */
import swagger from '@fastify/swagger';
import type { Logger, NodeBalancers, TurnpikeConfig } from '@turnpike/shared';
import type { AvailablePlugin, NodePluginAdmin } from '@turnpike/shared/plugins';
import { ENTITIES, entityJsonSchema, type PluginSchemaLookup } from '@turnpike/shared/schema';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Dao } from '../dao/types.ts';
import { adminTokenHook } from './auth.ts';
import { DEFAULT_ADMIN_BODY_LIMIT, registerBodyParsers } from './body.ts';
import type { ConnectionStats } from './connections.ts';
import type { AdminContext, DblessConfig } from './context.ts';
import { registerAdminCors } from './cors.ts';
import { entityEndpoints } from './endpoints.ts';
import { adminErrorHandler, adminNotFoundHandler } from './errors.ts';
import { adminHeaderFlags, registerAdminHeaders } from './headers.ts';
import { parseQuery, screenInput, screenPath } from './input.ts';
import { trackMethods } from './methods.ts';
import { type ClusterEventsView, registerClusterEventRoutes } from './routes/cluster-events.ts';
import { type ClusteringView, registerClusteringRoutes } from './routes/clustering.ts';
import { registerConfigRoutes } from './routes/config.ts';
import { registerEntityRoutes } from './routes/entities.ts';
import { registerForeignRoutes, registerNestedRoutes } from './routes/nested.ts';
import { registerProxyCacheRoutes } from './routes/proxy-cache.ts';
import { registerRootRoutes } from './routes/root.ts';
import { registerSchemaRoutes } from './routes/schemas.ts';
import { registerTagRoutes } from './routes/tags.ts';
import { registerUpstreamHealthRoutes } from './routes/upstream-health.ts';

export interface AdminApiOptions {
  readonly dao: Dao;
  readonly log: Logger;
  readonly config: TurnpikeConfig;
  readonly nodeId: string;
  readonly hostname: string;
  readonly version: string;
  /** The plugins this node can run (`plugins` in turnpike.conf, expanded), with version and priority. */
  readonly pluginsAvailable: readonly AvailablePlugin[];
  readonly pluginSchemas: PluginSchemaLookup;
  readonly datastoreReachable: () => Promise<boolean>;
  /** A DB-less node's configuration: entity writes are refused by its DAO, POST /config loads into it. */
  readonly dbless?: DblessConfig;
  /** Largest request body in bytes; default 10 MiB (Kong's nginx_admin_client_max_body_size). */
  readonly bodyLimit?: number;
  /** The data planes this control plane serves; absent on a node without a sync server. */
  readonly clustering?: ClusteringView;
  /** The live cluster feed behind `/clustering/events` and `/clustering/timeline`. */
  readonly clusterEvents?: ClusterEventsView;
  /** The counters of the admin listeners, for `GET /status` (the caller tracks each listener). */
  readonly connections?: ConnectionStats;
  /** Browser origins allowed to call the API cross-origin: the Admin GUI's (admin_gui_url). */
  readonly corsOrigins?: () => readonly string[];
  /** This node's proxy workers' plugin state (a traditional node); absent on a control plane. */
  readonly nodePlugins?: NodePluginAdmin;
  /** This node's proxy workers' balancers (a traditional node), or a control plane's data planes'. */
  readonly nodeBalancers?: NodeBalancers;
}

/** Fastify paths (`/services/:id`) in Kong's notation (`/services/{services}`), for GET /endpoints. */
function kongPaths(app: FastifyInstance): () => string[] {
  const paths: string[] = [];
  const kongByPath = new Map(entityEndpoints().map((e) => [e.path, e.kong]));
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide === true || route.url === '/openapi.json') return;
    paths.push(kongByPath.get(route.url) ?? route.url.replace(/:([^/]+)/g, '{$1}'));
  });
  return () => paths;
}

function entityComponents(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const def of Object.values(ENTITIES)) {
    const { $id: _id, ...schema } = entityJsonSchema(def, 'response');
    out[def.name] = schema;
  }
  return out;
}

/**
 * A path parameter longer than this answers 414. Fastify's default (100) would refuse a long SNI
 * (253) or name; a request line is bounded anyway by Node's header limit (16 KiB).
 */
export const MAX_PARAM_LENGTH = 8192;

export function buildAdminApi(options: AdminApiOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log,
    bodyLimit: options.bodyLimit ?? DEFAULT_ADMIN_BODY_LIMIT,
    routerOptions: {
      ignoreTrailingSlash: true,
      maxParamLength: MAX_PARAM_LENGTH,
      querystringParser: parseQuery,
    },
    rewriteUrl: screenPath,
    // Errors fastify raises before a route is found (undecodable URL, over-long parameter).
    frameworkErrors: adminErrorHandler,
    // Route schemas annotate bodies without constraining them (routes/schema-docs.ts).
    ajv: { customOptions: { strict: false } },
  }) as unknown as FastifyInstance;
  const ctx: AdminContext = {
    dao: options.dao,
    pluginSchemas: options.pluginSchemas,
    ...(options.dbless === undefined ? {} : { dbless: options.dbless }),
  };

  app.setErrorHandler(adminErrorHandler);
  // Schemas document the API (OpenAPI) and never validate: every input reaches the routes, which
  // answer in Kong's words (a repeated `?size=` is Kong's first value, not an Ajv message).
  app.setValidatorCompiler(() => () => true);
  app.addHook('preValidation', screenInput);
  app.setNotFoundHandler(adminNotFoundHandler);
  registerBodyParsers(app);
  const { config } = options;
  registerAdminHeaders(app, adminHeaderFlags(config.headers), options.version);
  if (options.corsOrigins !== undefined) registerAdminCors(app, options.corsOrigins);
  const token = config.admin_auth !== false ? config.admin_token : undefined;
  if (token !== undefined && token !== '') {
    // OPTIONS passes it: preflights carry no token (auth.ts).
    app.addHook('onRequest', adminTokenHook(token));
  }

  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Turnpike Admin API',
        description: 'Kong Gateway 3.x compatible Admin API.',
        version: options.version,
      },
      // The stored shape of every entity, for clients that generate types (the Admin GUI does).
      components: { schemas: entityComponents() },
    },
  });
  void app.register(async (api) => {
    const methods = trackMethods(api);
    const endpointPaths = kongPaths(api);
    for (const endpoint of entityEndpoints()) {
      if (endpoint.kind === 'collection' || endpoint.kind === 'entity')
        registerEntityRoutes(api, ctx, endpoint);
      else if (endpoint.kind === 'foreign-entity') registerForeignRoutes(api, ctx, endpoint);
      else registerNestedRoutes(api, ctx, endpoint);
    }
    registerRootRoutes(api, ctx, { ...options, config }, endpointPaths);
    registerSchemaRoutes(api, ctx);
    registerTagRoutes(api, ctx);
    registerConfigRoutes(api, ctx);
    registerClusteringRoutes(api, options.clustering);
    registerClusterEventRoutes(api, options.clusterEvents);
    // As Kong loads a plugin's api.lua: only when the node runs the plugin.
    if (options.pluginsAvailable.some((p) => p.name === 'proxy-cache'))
      registerProxyCacheRoutes(api, ctx, options.nodePlugins);
    registerUpstreamHealthRoutes(api, ctx, options.nodeId, options.nodeBalancers);
    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    // After the scoped plugins above (/config) have added their routes.
    api.after(() => methods.complete());
  });
  return app;
}
