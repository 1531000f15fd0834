export {
  ActiveChecker,
  networkProbe,
  type Probe,
  type ProbeOutcome,
  type ProbeTarget,
} from './active-checks.ts';
export { runBalancerAdmin } from './admin.ts';
export { LeastConnections, LeastLatency, RoundRobin } from './algorithms.ts';
export { type AttemptedService, type FailedTry, type FailureStatus, UpstreamAttempts } from './attempts.ts';
export {
  DEFAULT_DNS_SETTINGS,
  DEFAULT_RESOLVER_SETTINGS,
  type DnsRecord,
  type DnsRecordType,
  type DnsSettings,
  DnsWatch,
  type HostsEntry,
  type Resolve,
  type ResolverSettings,
  searchNames,
  systemResolver,
} from './dns.ts';
export { parseHostsFile, parseResolvConf, readResolverSettings } from './dns-files.ts';
export { connectLookup } from './dns-lookup.ts';
export { cookieValue, type HashDecision, type HashRequest, hashCookie, hashValue } from './hash-value.ts';
export {
  type AddressHealth,
  type BalancerHealth,
  balancerHealth,
  type HasUpstreams,
  type HealthValue,
  type TargetHealth,
  type TargetStatus,
  type UpstreamHealth,
  upstreamBalancerHealth,
  upstreamHealth,
} from './health-report.ts';
export { type FailureKind, isAvailable, type Peer, PeerState, peerKey } from './peer.ts';
export { BalancerRegistry, type BalancerRegistryOptions, type BalancerSource } from './registry.ts';
export { buildRing, type HashRing, pickFromRing, ringIndex } from './ring.ts';
export { NO_PEER_BODY, NO_PEER_MESSAGE, ServiceBalancer } from './service-balancer.ts';
export { compileUpstreamSpec, statusTable } from './spec.ts';
export type * from './types.ts';
export {
  parseTarget,
  type TargetEntry,
  UpstreamBalancer,
  type UpstreamBalancerOptions,
} from './upstream-balancer.ts';
