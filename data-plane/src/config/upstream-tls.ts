/**
 * A Service's upstream TLS settings (Kong's `tls_verify`, `tls_verify_depth`, `ca_certificates`,
 * `client_certificate`), compiled once per config version into a profile the pools open
 * connections with. The profile carries a digest of its contents: pools are keyed by it, so an
 * unchanged profile keeps its warm connections across versions and a changed CA gets new ones.
 *
 * The SNI is not part of the profile: undici sends the upstream request's Host (without port) as
 * the server name and verifies the certificate against it, which is Kong's
 * `proxy_ssl_name $upstream_host` — the service host, or the upstream's `host_header` / the
 * target's name when balanced.
 */

import { createHash } from 'node:crypto';
import type { RouterProblem } from '../router/index.ts';
import type { ProxyServiceConfig, UpstreamTlsProfile } from '../runtime/index.ts';
import type { CaCertificateConfig, CertificateConfig } from './types.ts';

/** The entities a profile is compiled from, by id. */
export interface UpstreamTlsEntities {
  readonly caCertificates: ReadonlyMap<string, CaCertificateConfig>;
  readonly certificates: ReadonlyMap<string, CertificateConfig>;
}

/** Protocols whose upstream connection is TLS (Kong's services entity checks). */
export const UPSTREAM_TLS_PROTOCOLS: ReadonlySet<string> = new Set(['https', 'grpcs', 'wss', 'tls']);

/** nginx's `proxy_ssl_verify_depth` default, which Kong leaves as is when `tls_verify_depth` is null. */
export const DEFAULT_VERIFY_DEPTH = 1;

function digestOf(parts: Omit<UpstreamTlsProfile, 'digest'>): string {
  const hash = createHash('sha256');
  hash.update(parts.verify ? 'v1' : 'v0');
  hash.update(`|d${parts.depth}`);
  if (parts.ca === undefined) hash.update('|ca:default');
  else for (const pem of parts.ca) hash.update(`|ca:${pem}`);
  // The key is hashed, never kept as a key: the digest only tells profiles apart.
  if (parts.cert !== undefined) hash.update(`|cert:${parts.cert}|key:${parts.key ?? ''}`);
  return hash.digest('hex');
}

function profileOf(parts: Omit<UpstreamTlsProfile, 'digest'>): UpstreamTlsProfile {
  return Object.freeze({ ...parts, digest: digestOf(parts) });
}

/** An https service with none of the TLS fields set: no verification, no client certificate. */
export const DEFAULT_UPSTREAM_TLS: UpstreamTlsProfile = profileOf({
  verify: false,
  ca: undefined,
  cert: undefined,
  key: undefined,
  depth: DEFAULT_VERIFY_DEPTH,
});

/**
 * The service's profile; undefined for a plain-text protocol. A CA certificate id that does not
 * exist is reported and leaves that CA out (an empty list trusts nothing: fail closed, where
 * Kong logs "unable to get upstream TLS CA store"); a missing client certificate is reported
 * and none is presented, as Kong logs and goes on.
 */
export function compileUpstreamTls(
  service: ProxyServiceConfig,
  entities: UpstreamTlsEntities,
  problems: RouterProblem[],
): UpstreamTlsProfile | undefined {
  if (!UPSTREAM_TLS_PROTOCOLS.has(service.protocol)) return undefined;
  const caIds = service.ca_certificates ?? [];
  const clientId = service.client_certificate?.id;
  const depth = service.tls_verify_depth ?? DEFAULT_VERIFY_DEPTH;
  const verify = service.tls_verify === true;
  if (caIds.length === 0 && clientId === undefined && depth === DEFAULT_VERIFY_DEPTH) {
    return verify ? VERIFYING_DEFAULT : DEFAULT_UPSTREAM_TLS;
  }
  let ca: string[] | undefined;
  if (caIds.length > 0) {
    ca = [];
    for (const id of caIds) {
      const entity = entities.caCertificates.get(id);
      if (entity === undefined) {
        problems.push({ routeId: '', message: `service ${service.id}: ca_certificate ${id} not found` });
      } else ca.push(entity.cert);
    }
  }
  let cert: string | undefined;
  let key: string | undefined;
  if (clientId !== undefined) {
    const entity = entities.certificates.get(clientId);
    if (entity === undefined) {
      problems.push({
        routeId: '',
        message: `service ${service.id}: client_certificate ${clientId} not found`,
      });
    } else {
      cert = entity.cert;
      key = entity.key;
    }
  }
  return profileOf({ verify, ca, cert, key, depth });
}

const VERIFYING_DEFAULT = profileOf({ ...DEFAULT_UPSTREAM_TLS, verify: true });

/** The lookup maps from entity lists (a full compile) or the synced entities by id (a patch). */
export function upstreamTlsEntities(
  caCertificates: ReadonlyMap<string, CaCertificateConfig> | readonly CaCertificateConfig[] | undefined,
  certificates: ReadonlyMap<string, CertificateConfig> | readonly CertificateConfig[] | undefined,
): UpstreamTlsEntities {
  return { caCertificates: byId(caCertificates), certificates: byId(certificates) };
}

function byId<T extends { readonly id: string }>(
  entities: ReadonlyMap<string, T> | readonly T[] | undefined,
): ReadonlyMap<string, T> {
  if (entities === undefined) return new Map();
  if (!Array.isArray(entities)) return entities as ReadonlyMap<string, T>;
  const map = new Map<string, T>();
  for (const entity of entities as readonly T[]) map.set(entity.id, entity);
  return map;
}

/** True when the service's profile reads one of these CA certificate or certificate ids. */
export function referencesTlsEntity(
  service: ProxyServiceConfig,
  caIds: ReadonlySet<string>,
  certificateIds: ReadonlySet<string>,
): boolean {
  if (!UPSTREAM_TLS_PROTOCOLS.has(service.protocol)) return false;
  const clientId = service.client_certificate?.id;
  if (clientId !== undefined && certificateIds.has(clientId)) return true;
  if (caIds.size === 0) return false;
  for (const id of service.ca_certificates ?? []) if (caIds.has(id)) return true;
  return false;
}
