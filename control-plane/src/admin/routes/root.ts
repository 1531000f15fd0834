/** `GET /` (node information), `GET /status`, `GET /endpoints` and `GET /plugins/enabled`. */
import { redactConfig, type TurnpikeConfig } from '@turnpike/shared';
import type { AvailablePlugin } from '@turnpike/shared/plugins';
import type { FastifyInstance } from 'fastify';
import type { ConnectionCounts, ConnectionStats } from '../connections.ts';
import type { AdminContext } from '../context.ts';
import { sortEndpointPaths } from '../endpoints.ts';
import { allRows } from '../lookup.ts';

export interface NodeInfo {
  readonly config: TurnpikeConfig;
  readonly nodeId: string;
  readonly hostname: string;
  readonly version: string;
  /** The plugins this node can run, with their handler's version and priority when known. */
  readonly pluginsAvailable: readonly AvailablePlugin[];
  readonly datastoreReachable: () => Promise<boolean>;
  /** The admin listeners' counters; absent (all zero) when the API is not listening (tests, OpenAPI). */
  readonly connections?: ConnectionStats;
}

const NO_CONNECTIONS: ConnectionCounts = {
  connections_accepted: 0,
  connections_handled: 0,
  connections_active: 0,
  connections_reading: 0,
  connections_writing: 0,
  connections_waiting: 0,
  total_requests: 0,
};

export function registerRootRoutes(
  app: FastifyInstance,
  ctx: AdminContext,
  node: NodeInfo,
  endpointPaths: () => readonly string[],
): void {
  app.get('/', { schema: { tags: ['information'], summary: 'Node information' } }, async () => {
    const plugins = await allRows(ctx, 'plugins');
    const enabledInCluster = [...new Set(plugins.map((p) => String(p.name)))];
    // Kong 3.x: `{ version, priority }` per plugin (a key Kong does not know is left out, as nil is).
    const available: Record<string, { version?: string; priority?: number }> = {};
    for (const { name, ...meta } of node.pluginsAvailable) available[name] = meta;
    return {
      tagline: 'Welcome to turnpike',
      version: node.version,
      hostname: node.hostname,
      node_id: node.nodeId,
      plugins: { available_on_server: available, enabled_in_cluster: enabledInCluster },
      configuration: redactConfig(node.config),
    };
  });

  app.get('/status', { schema: { tags: ['information'], summary: 'Node status' } }, async () => {
    const [reachable, configVersion] = await Promise.all([
      node.datastoreReachable().catch(() => false),
      ctx.dao.configVersion().catch(() => null),
    ]);
    const server = node.connections?.counts() ?? NO_CONNECTIONS;
    // Kong's DB-less node reports the hash of what it loaded instead of a database (health.lua).
    if (ctx.dbless !== undefined)
      return { server, configuration_hash: ctx.dbless.configurationHash(), config_version: configVersion };
    return { database: { reachable }, server, config_version: configVersion };
  });

  app.get('/endpoints', { schema: { tags: ['information'], summary: 'Every Admin API path' } }, async () => ({
    data: sortEndpointPaths(endpointPaths()),
  }));

  app.get(
    '/plugins/enabled',
    { schema: { tags: ['plugins'], summary: 'Plugins enabled on this node' } },
    async () => ({
      enabled_plugins: node.pluginsAvailable.map((p) => p.name),
    }),
  );
}
