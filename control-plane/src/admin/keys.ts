/**
 * How a URL segment names one entity, as Kong's select_entity: a UUID is the primary key;
 * anything else is the entity's endpoint_key (`/services/{name}`); an entity without one
 * (ca_certificates) refuses a non-UUID with Kong's "invalid primary key".
 */
import { InvalidPrimaryKeyError } from '@turnpike/shared';
import type { EntityDefinition } from '@turnpike/shared/schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Kong's utils.is_valid_uuid: the 8-4-4-4-12 hex shape, any version. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Throws InvalidPrimaryKeyError when `key` can name nothing of this entity. */
export function assertAddressable(def: EntityDefinition, key: string): void {
  if (isUuid(key) || def.endpoint_key !== undefined || def.name === 'certificates') return;
  const fields = { id: 'expected a valid UUID' };
  throw new InvalidPrimaryKeyError(`invalid primary key: '{id="${fields.id}"}'`, fields);
}
