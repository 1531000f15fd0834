/**
 * The public keys of one jwt instance, parsed from PEM once and kept for the instance's life (the
 * store its `configure` makes): a request verifies with a ready KeyObject instead of parsing the
 * jwt_secrets' `rsa_public_key` every time. Keyed by the PEM text, so a changed key is parsed
 * anew; a PEM that does not parse is remembered as such. Bounded: past MAX_KEYS it starts over.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

const MAX_KEYS = 10_000;

export class PublicKeys {
  readonly #base64: boolean;
  readonly #keys = new Map<string, KeyObject | null>();

  /** `base64`: the instance's secret_is_base64 (the PEM is base64-encoded once more, as Kong reads it). */
  constructor(base64: boolean) {
    this.#base64 = base64;
  }

  /** The key `pem` holds, or undefined when it is not a public key. */
  get(pem: string): KeyObject | undefined {
    let key = this.#keys.get(pem);
    if (key === undefined) {
      key = parse(this.#base64 ? Buffer.from(pem, 'base64') : pem);
      if (this.#keys.size >= MAX_KEYS) this.#keys.clear();
      this.#keys.set(pem, key);
    }
    return key ?? undefined;
  }

  get size(): number {
    return this.#keys.size;
  }
}

function parse(material: Buffer | string): KeyObject | null {
  try {
    return createPublicKey(material);
  } catch {
    return null;
  }
}
