import type { DataPlaneRecord, DataPlaneRegistry } from '@turnpike/control-plane/sync';

/** Resolves with the record once the predicate holds, re-checked on every registry change. */
export function registryUntil(
  registry: DataPlaneRegistry,
  id: string,
  predicate: (record: DataPlaneRecord) => boolean,
): Promise<DataPlaneRecord> {
  return new Promise((resolve) => {
    const now = registry.get(id);
    if (now !== undefined && predicate(now)) return resolve(now);
    const off = registry.onChange((record) => {
      if (record.id !== id || !predicate(record)) return;
      off();
      resolve(record);
    });
  });
}
