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
  compileRuntime,
  DEFAULT_SETTINGS,
  type ProxyTlsOptions,
  type RunningProxy,
  type RuntimeConfig,
  RuntimeHolder,
  type SniConfig,
  startProxy,
  UpstreamPools,
} from '@turnpike/data-plane/proxy';
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
  readonly holder: RuntimeHolder;
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
  const compile = (e: Entities, version: number) =>
    compileRuntime({ version, ...e }, { dispatchers: pools, balancers });
  const holder = new RuntimeHolder(compile(entities, 1));
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
      holder.swap(compile(next, version));
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
