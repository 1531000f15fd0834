import type { FastifyInstance } from 'fastify';

/** What the clustering endpoints show: the sync server's registry of data planes. */
export interface ClusteringView {
  list(): readonly { id: string; hostname: string; ip: string; config_hash: string; last_seen: number }[];
}

/**
 * `GET /clustering/data-planes` (Kong 3.x: `{ data, next }`, one item per data plane with its
 * sync status and, unlike Kong, the text of its last NACK) and the older `GET /clustering/status`
 * (an object keyed by node id).
 */
export function registerClusteringRoutes(app: FastifyInstance, clustering: ClusteringView | undefined): void {
  const list = () => clustering?.list() ?? [];
  app.get('/clustering/data-planes', async () => ({ data: list(), next: null }));
  app.get('/clustering/status', async () => {
    const status: Record<string, { config_hash: string; hostname: string; ip: string; last_seen: number }> =
      {};
    for (const dp of list()) {
      status[dp.id] = {
        config_hash: dp.config_hash,
        hostname: dp.hostname,
        ip: dp.ip,
        last_seen: dp.last_seen,
      };
    }
    return status;
  });
}
