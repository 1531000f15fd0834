import type { EntityName, SyncedEntity } from '@turnpike/shared/schema';
import type { SyncedContent } from './decode.ts';
import type { RuntimeConfig } from './types.ts';

function entitiesOf<N extends EntityName>(content: SyncedContent, type: N): SyncedEntity<N>[] {
  const byId = content.get(type);
  return byId === undefined ? [] : [...byId.values()];
}

/** The entities the runtime compiles, from one decoded configuration. */
export function runtimeConfigOf(version: string | number, content: SyncedContent): RuntimeConfig {
  return {
    version,
    services: entitiesOf(content, 'services'),
    routes: entitiesOf(content, 'routes'),
    upstreams: entitiesOf(content, 'upstreams'),
    targets: entitiesOf(content, 'targets'),
    certificates: entitiesOf(content, 'certificates'),
    snis: entitiesOf(content, 'snis'),
    caCertificates: entitiesOf(content, 'ca_certificates'),
    // Plugins, consumers and credentials: the plugin chains and their lookups read them here.
    entities: content,
  };
}
