/**
 * What the TLS listeners serve when no Certificate entity matches the client's server name:
 * ssl_cert / ssl_cert_key from turnpike.conf, else (as Kong) a self-signed `localhost`
 * certificate generated once per process.
 */

import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ConfigInvalidError } from '@turnpike/shared';
// The certificate module alone: the cluster index brings grpc-js, which a proxy worker never uses.
import { generateClusterCertificate } from '@turnpike/shared/cluster/certificate';

/** What an ssl listener serves by default; `SNICallback` overrides it per server name. */
export interface ProxyTlsOptions {
  readonly cert: string | Buffer | (string | Buffer)[];
  readonly key: string | Buffer | (string | Buffer)[];
  readonly SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;
}

let defaultCertificate: Promise<ProxyTlsOptions> | undefined;

/** Kong's fallback: a self-signed certificate for `localhost`, made on first use, kept for the process. */
export function defaultProxyCertificate(): Promise<ProxyTlsOptions> {
  defaultCertificate ??= generateClusterCertificate({ commonName: 'localhost', days: 365 }).then((pair) => ({
    cert: pair.certPem,
    key: pair.keyPem,
  }));
  return defaultCertificate;
}

function invalid(key: string, message: string): ConfigInvalidError {
  return new ConfigInvalidError([{ key, source: 'turnpike.conf', message }]);
}

async function readPem(key: 'ssl_cert' | 'ssl_cert_key', path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    // ssl_cert_key is a secret setting: its path stays out of messages, as redact.ts keeps it out of dumps.
    throw invalid(
      key,
      key === 'ssl_cert' ? `could not read ${path}: ${reason}` : `could not read the key file: ${reason}`,
    );
  }
}

/**
 * The listeners' default certificate from ssl_cert / ssl_cert_key (lists: one pair per key type,
 * as Kong allows RSA and ECDSA side by side), or undefined when ssl_cert is not set.
 */
export async function proxyTlsFromConfig(config: {
  readonly ssl_cert: readonly string[];
  readonly ssl_cert_key: readonly string[];
}): Promise<ProxyTlsOptions | undefined> {
  if (config.ssl_cert.length === 0) return undefined;
  if (config.ssl_cert_key.length !== config.ssl_cert.length) {
    throw invalid('ssl_cert_key', 'must be specified once per ssl_cert');
  }
  const cert = await Promise.all(config.ssl_cert.map((path) => readPem('ssl_cert', path)));
  const key = await Promise.all(config.ssl_cert_key.map((path) => readPem('ssl_cert_key', path)));
  try {
    // Parsed here so that a bad PEM names its setting instead of failing inside the listener.
    createSecureContext({ cert, key });
  } catch (error) {
    throw invalid(
      'ssl_cert',
      `certificate or key not usable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { cert, key };
}
