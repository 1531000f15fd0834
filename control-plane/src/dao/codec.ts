/**
 * The entity as validated ↔ the entity as stored: encrypted fields (`sensitive: 'encrypt'`)
 * become keyring ciphertext, hashed ones (`sensitive: 'hash'`) an scrypt hash, virtual
 * fields are dropped.
 */
import { hashPassword } from '@turnpike/shared';
import type { Keyring } from '../store/keyring.ts';
import type { TableModel } from './model.ts';

/** What hashPassword produces: a value already in this shape is kept, not hashed again. */
const PASSWORD_HASH = /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** The keyring is derived lazily (scrypt takes tens of ms) and only when a secret is touched. */
export type KeyringSource = () => Promise<Keyring>;

/** Authenticated with the ciphertext, so a value copied into another field does not decrypt. */
function context(model: TableModel, field: string): string {
  return `${model.name}.${field}`;
}

/**
 * The row to store. `fresh` lists the hashed fields whose value came from this write's input
 * (a PATCH without a password keeps the stored hash untouched).
 */
export async function encodeEntity(
  model: TableModel,
  entity: Record<string, unknown>,
  keyring: KeyringSource,
  fresh: ReadonlySet<string>,
): Promise<Record<string, unknown>> {
  const stored: Record<string, unknown> = { ...entity };
  for (const field of model.virtual) delete stored[field];
  if (model.encrypted.some((f) => typeof stored[f] === 'string')) {
    const ring = await keyring();
    for (const field of model.encrypted) {
      const value = stored[field];
      if (typeof value === 'string') stored[field] = ring.encrypt(value, context(model, field));
    }
  }
  for (const field of model.hashed) {
    const value = stored[field];
    // An exported hash imported back (config db_import) must not be hashed twice.
    if (typeof value === 'string' && fresh.has(field) && !PASSWORD_HASH.test(value)) {
      stored[field] = await hashPassword(value);
    }
  }
  return stored;
}

/** The entity as the Admin API and the snapshot see it: secrets decrypted, hashes as stored. */
export async function decodeEntity(
  model: TableModel,
  stored: Record<string, unknown>,
  keyring: KeyringSource,
): Promise<Record<string, unknown>> {
  if (!model.encrypted.some((f) => typeof stored[f] === 'string')) return stored;
  const ring = await keyring();
  const entity: Record<string, unknown> = { ...stored };
  for (const field of model.encrypted) {
    const value = entity[field];
    if (typeof value === 'string') entity[field] = ring.decrypt(value, context(model, field));
  }
  return entity;
}
