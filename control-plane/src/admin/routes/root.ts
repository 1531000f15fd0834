/** `GET /` (node information), `GET /status`, `GET /endpoints` and `GET /plugins/enabled`. */
import { redactConfig, type TurnpikeConfig } from '@turnpike/shared';
import type { FastifyInstance } from 'fastify';
import type { AdminContext } from '../context.ts';
import { sortEndpointPaths } from '../endpoints.ts';
import { allRows } from '../lookup.ts';

export interface NodeInfo {
  readonly config: TurnpikeConfig;
  readonly nodeId: string;
  readonly hostname: string;
  readonly version: string;
  readonly pluginsAvailable: readonly string[];
  readonly datastoreReachable: () => Promise<boolean>;
}

export function registerRootRoutes(
  app: FastifyInstance,
  ctx: AdminContext,
  node: NodeInfo,
  endpointPaths: () => readonly string[],
): void {
  const counters = { accepted: 0, active: 0, requests: 0 };
  app.server.on('connection', (socket) => {
    counters.accepted++;
    counters.active++;
    socket.once('close', () => counters.active--);
  });
  app.addHook('onRequest', async () => {
    counters.requests++;
  });

  app.get('/', { schema: { tags: ['information'], summary: 'Node information' } }, async () => {
    const plugins = await allRows(ctx, 'plugins');
    const enabledInCluster = [...new Set(plugins.map((p) => String(p.name)))];
    const available: Record<string, true> = {};
    for (const name of node.pluginsAvailable) available[name] = true;
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
    return {
      database: { reachable },
      server: {
        connections_accepted: counters.accepted,
        connections_active: counters.active,
        connections_handled: counters.accepted,
        total_requests: counters.requests,
      },
      config_version: configVersion,
    };
  });

  app.get('/endpoints', { schema: { tags: ['information'], summary: 'Every Admin API path' } }, async () => ({
    data: sortEndpointPaths(endpointPaths()),
  }));

  app.get(
    '/plugins/enabled',
    { schema: { tags: ['plugins'], summary: 'Plugins enabled on this node' } },
    async () => ({
      enabled_plugins: [...node.pluginsAvailable],
    }),
  );
}
