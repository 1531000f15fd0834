/**
 * Kong's deterministic ids for declarative entities (declarative_config.lua `generate_uuid`):
 * a UUIDv5 of the entity's key in a per-entity namespace, itself the UUIDv5 of the entity name
 * in Kong's fixed `_entities` namespace. Same file → same ids, on Kong and on Turnpike.
 */
import { createHash } from 'node:crypto';

const ENTITIES_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5';

/** RFC 4122 version 5 (SHA-1, name-based) UUID. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const namespaces = new Map<string, string>();

/** The id Kong generates for an entity of type `entity` whose uuid key is `key`. */
export function declarativeId(entity: string, key: string): string {
  let namespace = namespaces.get(entity);
  if (namespace === undefined) {
    namespace = uuidV5(entity, ENTITIES_NAMESPACE);
    namespaces.set(entity, namespace);
  }
  return uuidV5(key, namespace);
}
