import type { ControlPlaneMessage, Delta, Snapshot } from '@turnpike/proto';
import { createLogger } from '@turnpike/shared';
import {
  applyDelta,
  type ConfigChange,
  type ConfigContent,
  changeToWire,
  configFromEntities,
  encodeSnapshotPayload,
  hashConfig,
  type VersionedConfig,
} from '@turnpike/shared/sync';
import { ConfigStore } from './config-store.ts';

// Messages as a control plane builds them, and a config store without a disk, for the unit
// tests of this folder (session.test.ts, config-store.test.ts).

export const silent = createLogger({ level: 'silent' });

export function config(routes: number): ConfigContent {
  return configFromEntities({
    services: [{ id: 's1', host: 'backend.internal' }],
    routes: Array.from({ length: routes }, (_, i) => ({ id: `r${i}`, paths: [`/p${i}`] })),
  });
}

export async function snapshotOf(version: number, content: ConfigContent, hash = hashConfig(content)) {
  const encoded = await encodeSnapshotPayload(content);
  const snapshot: Snapshot = {
    version,
    hash,
    encoding: encoded.encoding,
    payload: encoded.payload,
    uncompressedSize: encoded.uncompressedSize,
  };
  return snapshot;
}

export function deltaOf(from: VersionedConfig, changes: ConfigChange[], hash?: string): Delta {
  return {
    fromVersion: from.version,
    version: from.version + 1,
    hash: hash ?? applyDelta(from.config, from.hash, changes).hash,
    changes: changes.map(changeToWire),
  };
}

export const asMessage = {
  snapshot: (value: Snapshot): ControlPlaneMessage => ({ kind: { $case: 'snapshot', value } }),
  delta: (value: Delta): ControlPlaneMessage => ({ kind: { $case: 'delta', value } }),
};

/** A ConfigStore whose cache only records what it was asked to keep. */
export function memoryStore(): { store: ConfigStore; cached: number[] } {
  const cached: number[] = [];
  const store = new ConfigStore({
    cacheFile: 'unused',
    maxPayload: 16 * 1024 * 1024,
    log: silent,
    cache: { schedule: (c) => cached.push(c.version), flush: async () => {} },
  });
  return { store, cached };
}

export const route = (id: string): ConfigChange => ({
  entity: 'routes',
  id,
  op: 'upsert',
  value: { id, paths: [`/${id}`] },
});
