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
import type { CertificateConfig } from './certificates.ts';
import type { ProxyServiceConfig } from './types.ts';

/** A CA Certificate entity; only the fields the proxy reads. */
export interface CaCertificateConfig {
  readonly id: string;
  readonly cert: string;
}

/** How connections to one service's upstream are secured. */
export interface UpstreamTlsProfile {
  /** Reject a certificate that does not verify (Kong's `tls_verify`; null means off). */
  readonly verify: boolean;
  /** Trusted CA certificates (PEM); undefined means the default trust store. */
  readonly ca: readonly string[] | undefined;
  /** The client certificate and key presented for mutual TLS (`client_certificate`). */
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** Most intermediate CAs allowed between the certificate and its trust anchor (OpenSSL's depth). */
  readonly depth: number;
  /** SHA-256 over everything above: equal digests mean interchangeable connections. */
  readonly digest: string;
}

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

const NO_ENTITIES: ReadonlyMap<string, never> = new Map<string, never>();

/** The lookup maps from entity lists (a full compile) or the synced entities by id (a patch). */
export function upstreamTlsEntities(
  caCertificates: ReadonlyMap<string, unknown> | readonly CaCertificateConfig[] | undefined,
  certificates: ReadonlyMap<string, unknown> | readonly CertificateConfig[] | undefined,
): UpstreamTlsEntities {
  return {
    caCertificates: byId(caCertificates) as ReadonlyMap<string, CaCertificateConfig>,
    certificates: byId(certificates) as ReadonlyMap<string, CertificateConfig>,
  };
}

function byId(
  entities: ReadonlyMap<string, unknown> | readonly { readonly id: string }[] | undefined,
): ReadonlyMap<string, unknown> {
  if (entities === undefined) return NO_ENTITIES;
  if (!Array.isArray(entities)) return entities as ReadonlyMap<string, unknown>;
  const map = new Map<string, unknown>();
  for (const entity of entities as readonly { readonly id: string }[]) map.set(entity.id, entity);
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
