import { createCipheriv, createDecipheriv, createHash, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { ConfigInvalidError, DatabaseError } from '@turnpike/shared';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: string,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Bump with any change to derivation or layout; old versions must stay decryptable. */
const VERSION = 'tp1';
/** Fixed salt: the same secret must give the same key on every control plane. */
const SALT = 'turnpike/secrets_default/aes-256-gcm/v1';
/** scrypt stretches a secret a person chose; a few tens of ms once per key at startup. */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const IV_BYTES = 12;

interface Key {
  readonly id: string;
  readonly bytes: Buffer;
}

/**
 * Encrypts sensitive fields at rest. The first secret encrypts; every secret decrypts, so a
 * rotation adds the new secret first and keeps the old ones until everything is re-encrypted.
 */
export interface Keyring {
  /** Key ids (8 hex), encrypting key first. Safe to log. */
  readonly keyIds: readonly string[];
  /**
   * `tp1:<key id>:<iv>:<tag>:<ciphertext>` (base64url). `context` (e.g. `credentials.password`)
   * is authenticated, not stored: decrypt needs the same one, so a value moved to another field fails.
   */
  encrypt(plaintext: string, context?: string): string;
  decrypt(ciphertext: string, context?: string): string;
  /** Re-encrypts with the current key when the value used an older one; undefined when current. */
  reencrypt(ciphertext: string, context?: string): string | undefined;
}

/** True for a value this module produced (any version), to tell ciphertext from legacy plaintext. */
export function isEncrypted(value: string): boolean {
  return value.startsWith(`${VERSION}:`);
}

function keyIdOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 8);
}

async function deriveKey(secret: string): Promise<Key> {
  const bytes = await scryptAsync(secret, SALT, 32, SCRYPT);
  return { id: keyIdOf(bytes), bytes };
}

function aad(keyId: string, context: string | undefined): Buffer {
  return Buffer.from(`${VERSION}:${keyId}:${context ?? ''}`, 'utf8');
}

/** Derives one AES-256-GCM key per secret (scrypt with a fixed salt). */
export async function createKeyring(secrets: readonly string[]): Promise<Keyring> {
  const usable = secrets.filter((s) => s !== '');
  if (usable.length === 0) {
    throw new ConfigInvalidError([
      {
        key: 'secrets_default',
        source: 'keyring',
        message: 'at least one key is needed to encrypt sensitive fields at rest',
      },
    ]);
  }
  const keys = await Promise.all(usable.map(deriveKey));
  const encrypting = keys[0]!;
  const byId = new Map<string, Key>();
  for (const key of keys) if (!byId.has(key.id)) byId.set(key.id, key);

  const decrypt = (ciphertext: string, context?: string): string => {
    const parts = ciphertext.split(':');
    const [version, keyId, iv, tag, body] = parts;
    if (
      parts.length !== 5 ||
      version !== VERSION ||
      keyId === undefined ||
      iv === undefined ||
      tag === undefined
    ) {
      throw new DatabaseError(`cannot decrypt a stored secret: not a ${VERSION} value`);
    }
    const key = byId.get(keyId);
    if (key === undefined) {
      throw new ConfigInvalidError([
        {
          key: 'secrets_default',
          source: 'keyring',
          message:
            `no key matches key id ${keyId} of a stored secret (keys: ${[...byId.keys()].join(', ')}); ` +
            'keep the old key in secrets_default until every value is re-encrypted',
        },
      ]);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
      decipher.setAAD(aad(keyId, context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body ?? '', 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch (err) {
      throw new DatabaseError(
        `cannot decrypt a stored secret with key ${keyId}: authentication failed (corrupted, or another field's value)`,
        { cause: err },
      );
    }
  };

  const encrypt = (plaintext: string, context?: string): string => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', encrypting.bytes, iv);
    cipher.setAAD(aad(encrypting.id, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      encrypting.id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      body.toString('base64url'),
    ].join(':');
  };

  return {
    keyIds: keys.map((k) => k.id),
    encrypt,
    decrypt,
    reencrypt(ciphertext, context) {
      if (ciphertext.split(':')[1] === encrypting.id) return undefined;
      return encrypt(decrypt(ciphertext, context), context);
    },
  };
}
