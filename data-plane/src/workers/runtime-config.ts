import type { ConfigContent, VersionedConfig } from '@turnpike/shared/sync';
import type { RouteConfig } from '../router/index.ts';
import type { ProxyServiceConfig, RuntimeConfig } from '../runtime/index.ts';

function entitiesOf<T>(content: ConfigContent, type: string): T[] {
  const byId = content.get(type);
  return byId === undefined ? [] : ([...byId.values()] as T[]);
}

/** The entities the runtime compiles, from one synced configuration. */
export function runtimeConfigOf(versioned: Pick<VersionedConfig, 'version' | 'config'>): RuntimeConfig {
  return {
    version: versioned.version,
    services: entitiesOf<ProxyServiceConfig>(versioned.config, 'services'),
    routes: entitiesOf<RouteConfig>(versioned.config, 'routes'),
  };
}
