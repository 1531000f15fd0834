import { readFile } from 'node:fs/promises';
import type { ConfigSources, TurnpikeConfig } from '../config/index.ts';
import { ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import type { ClusterChannelOptions, ClusterTlsKey } from './credentials.ts';

async function readPem(
  key: ClusterTlsKey,
  path: string | undefined,
  source: string | undefined,
): Promise<string | undefined> {
  if (path === undefined || path === '') return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError([
      {
        key,
        source: source ?? 'configuration',
        message: `cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? err}`,
      },
    ]);
  }
}

/**
 * The cluster link's TLS settings from `cluster_mtls`, `cluster_cert`, `cluster_cert_key`,
 * `cluster_ca_cert`, `cluster_server_name` and `cluster_allowed_common_names`. With `sources`
 * (the loaded configuration's), every error names where the key was set, as
 * `cluster_cert (from TURNPIKE_CLUSTER_CERT): cannot read '/certs/cluster.crt': ENOENT`.
 */
export async function clusterTlsFromConfig(
  config: TurnpikeConfig,
  sources?: Partial<ConfigSources>,
): Promise<ClusterChannelOptions> {
  const from = {
    cluster_mtls: sources?.cluster_mtls,
    cluster_cert: sources?.cluster_cert,
    cluster_cert_key: sources?.cluster_cert_key,
    cluster_ca_cert: sources?.cluster_ca_cert,
  };
  // Every unreadable file is reported, in key order: Promise.all would report whichever read failed first.
  const reads = await Promise.allSettled([
    readPem('cluster_cert', config.cluster_cert, from.cluster_cert),
    readPem('cluster_cert_key', config.cluster_cert_key, from.cluster_cert_key),
    readPem('cluster_ca_cert', config.cluster_ca_cert, from.cluster_ca_cert),
  ]);
  const problems: ConfigProblem[] = [];
  for (const read of reads) {
    if (read.status === 'fulfilled') continue;
    if (!(read.reason instanceof ConfigInvalidError)) throw read.reason;
    problems.push(...read.reason.problems);
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  const [certPem, keyPem, caPem] = reads.map((read) =>
    read.status === 'fulfilled' ? read.value : undefined,
  );
  const defined = Object.fromEntries(Object.entries(from).filter(([, source]) => source !== undefined));
  return {
    mode: config.cluster_mtls,
    certPem,
    keyPem,
    caPem,
    serverName: config.cluster_server_name,
    allowedCommonNames: config.cluster_allowed_common_names,
    sources: defined,
  };
}
