import type { ConfigContent, VersionedConfig } from '@turnpike/shared/sync';
import type { RouteConfig } from '../router/index.ts';
import type { CertificateConfig, ProxyServiceConfig, RuntimeConfig, SniConfig } from '../runtime/index.ts';

function entitiesOf<T>(content: ConfigContent, type: string): T[] {
  const byId = content.get(type);
  return byId === undefined ? [] : ([...byId.values()] as T[]);
}

/** The entities the runtime compiles, from one synced configuration. */
export function runtimeConfigOf(versioned: Pick<VersionedConfig, 'version' | 'config'>): RuntimeConfig {
  const content = versioned.config;
  return {
    version: versioned.version,
    services: entitiesOf<ProxyServiceConfig>(content, 'services'),
    routes: entitiesOf<RouteConfig>(content, 'routes'),
    upstreams: entitiesOf(content, 'upstreams'),
    targets: entitiesOf(content, 'targets'),
    certificates: entitiesOf<CertificateConfig>(content, 'certificates'),
    snis: entitiesOf<SniConfig>(content, 'snis'),
    // Plugins, consumers and credentials: the plugin chains and their lookups read them here.
    entities: content,
  };
}
