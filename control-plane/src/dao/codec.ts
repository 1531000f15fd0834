/**
 * The entity as validated ↔ the entity as stored: encrypted fields (`sensitive: 'encrypt'`)
 * become keyring ciphertext, hashed ones (`sensitive: 'hash'`) an scrypt hash, virtual
 * fields are dropped.
 */
import { ConfigInvalidError, hashPassword } from '@turnpike/shared';
import { isEncrypted, type Keyring } from '../store/keyring.ts';
import type { TableModel } from './model.ts';

/** What hashPassword produces: a value already in this shape is kept, not hashed again. */
const PASSWORD_HASH = /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/**
 * The keyring is derived lazily (scrypt takes tens of ms) and only when a secret is touched.
 * Undefined when `secrets_default` is not set: as Kong stores a certificate's key as given,
 * encrypted fields are then kept as given, and encrypted once a key is configured.
 */
export type KeyringSource = () => Promise<Keyring | undefined>;

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
    if (ring !== undefined) {
      for (const field of model.encrypted) {
        const value = stored[field];
        if (typeof value === 'string') stored[field] = ring.encrypt(value, context(model, field));
      }
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
  if (!model.encrypted.some((f) => isCiphertext(stored[f]))) return stored;
  const ring = await keyring();
  if (ring === undefined) throw noKeyForStoredSecret();
  const entity: Record<string, unknown> = { ...stored };
  for (const field of model.encrypted) {
    const value = entity[field];
    // A value stored while no key was set is plaintext, read as it is.
    if (isCiphertext(value)) entity[field] = ring.decrypt(value, context(model, field));
  }
  return entity;
}

function isCiphertext(value: unknown): value is string {
  return typeof value === 'string' && isEncrypted(value);
}

function noKeyForStoredSecret(): ConfigInvalidError {
  return new ConfigInvalidError([
    {
      key: 'secrets_default',
      source: 'keyring',
      message:
        'a stored secret is encrypted, and secrets_default is not set: set the key it was written with',
    },
  ]);
}
