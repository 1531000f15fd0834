import type { SecureContext } from 'node:tls';
import { generateClusterCertificate } from '@turnpike/shared/cluster';

/** What an ssl listener serves. `SNICallback` is the seam for certificates/snis entities. */
export interface ProxyTlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
}

/** Kong's fallback: a self-signed certificate made at start when ssl_cert is not set. */
export async function defaultProxyCertificate(): Promise<ProxyTlsOptions> {
  const pair = await generateClusterCertificate({ commonName: 'localhost', days: 365 });
  return { cert: pair.certPem, key: pair.keyPem };
}
