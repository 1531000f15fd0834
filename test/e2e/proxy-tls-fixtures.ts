/**
 * Fixtures for the TLS, HTTP/2 and WebSocket proxy tests: self-signed certificates named by CN,
 * a proxy with a plain and a TLS listener (optionally HTTP/2) started in this process, and a TLS
 * handshake that reports which certificate the proxy served.
 */

import { once } from 'node:events';
import { type PeerCertificate, connect as tlsConnect } from 'node:tls';
import { BalancerRegistry } from '@turnpike/data-plane/balancer';
import {
  type CertificateConfig,
  ConfigApplier,
  type RuntimeConfig,
  type SniConfig,
} from '@turnpike/data-plane/config';
import {
  DEFAULT_SETTINGS,
  type ProxyTlsOptions,
  type RunningProxy,
  startProxy,
} from '@turnpike/data-plane/proxy';
import type { RuntimeSource } from '@turnpike/data-plane/runtime';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import { createLogger } from '@turnpike/shared';
import { generateClusterCertificate } from '@turnpike/shared/cluster';

/** A Certificate entity whose certificate has `commonName` as its CN. */
export async function certificate(id: string, commonName: string): Promise<CertificateConfig> {
  const pair = await generateClusterCertificate({ commonName, days: 1 });
  return { id, cert: pair.certPem, key: pair.keyPem };
}

export function sni(name: string, certificateId: string): SniConfig {
  return { name, certificate: { id: certificateId } };
}

/** One configuration version's entities. */
export type Entities = Omit<RuntimeConfig, 'version'>;

export interface TlsTestProxy extends AsyncDisposable {
  readonly proxy: RunningProxy;
  readonly holder: RuntimeSource;
  /** The plain HTTP listener. */
  readonly port: number;
  /** The TLS listener. */
  readonly tlsPort: number;
  apply(entities: Entities, version: number): void;
}

export async function tlsTestProxy(
  entities: Entities,
  options: { http2?: boolean; tls?: ProxyTlsOptions } = {},
): Promise<TlsTestProxy> {
  const pools = new UpstreamPools();
  const balancers = new BalancerRegistry();
  const config = new ConfigApplier({ dispatchers: pools, balancers });
  config.install({ version: 1, ...entities });
  const holder = config.runtime;
  // Targets named by IP resolve at once; awaited so that the first request finds them.
  await balancers.settled();
  const proxy = await startProxy({
    listen: [
      { host: '127.0.0.1', port: 0, ssl: false },
      { host: '127.0.0.1', port: 0, ssl: true, http2: options.http2 === true },
    ],
    holder,
    settings: DEFAULT_SETTINGS,
    log: createLogger({ level: 'silent' }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  });
  return {
    proxy,
    holder,
    port: proxy.ports[0]!,
    tlsPort: proxy.ports[1]!,
    apply(next, version) {
      config.install({ version, ...next });
    },
    async [Symbol.asyncDispose]() {
      await proxy.stop('now', Date.now());
      await balancers.stop();
      await pools.close();
    },
  };
}

/** The certificate the listener serves for `servername` (none: no SNI sent, as for an IP). */
export async function servedCertificate(port: number, servername?: string): Promise<PeerCertificate> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    rejectUnauthorized: false,
    ...(servername === undefined ? {} : { servername }),
  });
  await once(socket, 'secureConnect');
  const cert = socket.getPeerCertificate();
  socket.destroy();
  return cert;
}
