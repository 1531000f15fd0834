/**
 * Detached signatures of plugin tarballs: ECDSA P-256 over SHA-256 of the file's bytes, written
 * as base64 of the ASN.1 DER signature — exactly what `cosign sign-blob --key cosign.key <file>`
 * prints for a P-256 key (cosign signs the blob's SHA-256 digest with ECDSA and outputs the DER
 * signature in base64). So `cosign verify-blob --key key.pub --signature <file>.sig <file>`
 * verifies what `turnpike plugin sign` makes, and `turnpike plugin verify` / `install
 * --verify-key` verify what cosign makes, without cosign on the node. A cosign bundle (`--bundle`,
 * JSON with `base64Signature`) is read too. Keys are PEM: the private key PKCS#8 or SEC1 ("EC
 * PRIVATE KEY", unencrypted; cosign's own encrypted key format is for cosign), the public key
 * SPKI ("PUBLIC KEY", as `cosign public-key` writes it).
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { PluginSignatureError } from '@turnpike/shared';

const P256 = 'prime256v1';

function requireP256(key: KeyObject, path: string): KeyObject {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== P256) {
    throw new PluginSignatureError(
      `${path} is not an ECDSA P-256 key (got ${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''})`.trim(),
    );
  }
  return key;
}

async function readKey(path: string, kind: 'private' | 'public'): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new PluginSignatureError(`cannot read the ${kind} key ${path}: ${(err as Error).message}`);
  }
  try {
    return requireP256(kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem), path);
  } catch (err) {
    if (err instanceof PluginSignatureError) throw err;
    throw new PluginSignatureError(`${path} is not a PEM ${kind} key: ${(err as Error).message}`);
  }
}

/** Signs `file` with the P-256 private key at `keyPath`; writes and returns the signature file. */
export async function signFile(file: string, keyPath: string, out = `${file}.sig`): Promise<string> {
  const key = await readKey(keyPath, 'private');
  const signature = sign('sha256', await readFile(file), { key, dsaEncoding: 'der' });
  await writeFile(out, `${signature.toString('base64')}\n`);
  return out;
}

/** The DER signature in a signature file: base64 (cosign sign-blob), a cosign bundle, or raw DER. */
function signatureBytes(content: Buffer, path: string): Buffer {
  const text = content.toString('utf8').trim();
  if (text.startsWith('{')) {
    try {
      const bundle = JSON.parse(text) as { base64Signature?: unknown };
      if (typeof bundle.base64Signature === 'string') return Buffer.from(bundle.base64Signature, 'base64');
    } catch {
      // not JSON after all: read as base64 below
    }
    throw new PluginSignatureError(`${path} is JSON but not a cosign bundle (no base64Signature)`);
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return Buffer.from(text, 'base64');
  // An ASN.1 DER ECDSA signature starts with a SEQUENCE tag.
  if (content[0] === 0x30) return content;
  throw new PluginSignatureError(`${path} is not a signature (base64 DER, a cosign bundle, or DER)`);
}

/** Throws PluginSignatureError unless `signaturePath` is a valid signature of `file` by the key at `publicKeyPath`. */
export async function verifyFile(
  file: string,
  publicKeyPath: string,
  signaturePath = `${file}.sig`,
): Promise<void> {
  const key = await readKey(publicKeyPath, 'public');
  let content: Buffer;
  try {
    content = await readFile(signaturePath);
  } catch {
    throw new PluginSignatureError(
      `${file} has no signature: ${signaturePath} not found (sign it with turnpike plugin sign, or cosign sign-blob)`,
    );
  }
  const signature = signatureBytes(content, signaturePath);
  let ok: boolean;
  try {
    ok = verify('sha256', await readFile(file), { key, dsaEncoding: 'der' }, signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new PluginSignatureError(
      `the signature ${signaturePath} does not verify ${file} with ${publicKeyPath}: the tarball was changed after it was signed, or it was signed with another key`,
    );
  }
}
