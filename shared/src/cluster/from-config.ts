import { readFile } from 'node:fs/promises';
import type { TurnpikeConfig } from '../config/index.ts';
import { ConfigInvalidError } from '../errors.ts';
import type { ClusterChannelOptions } from './credentials.ts';

async function readPem(key: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined || path === '') return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError([
      {
        key,
        source: 'configuration',
        message: `cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`,
      },
    ]);
  }
}

/** The cluster link's TLS settings from `cluster_mtls`, `cluster_cert`, `cluster_cert_key`, `cluster_ca_cert`, `cluster_server_name`. */
export async function clusterTlsFromConfig(config: TurnpikeConfig): Promise<ClusterChannelOptions> {
  const [certPem, keyPem, caPem] = await Promise.all([
    readPem('cluster_cert', config.cluster_cert),
    readPem('cluster_cert_key', config.cluster_cert_key),
    readPem('cluster_ca_cert', config.cluster_ca_cert),
  ]);
  return { mode: config.cluster_mtls, certPem, keyPem, caPem, serverName: config.cluster_server_name };
}
