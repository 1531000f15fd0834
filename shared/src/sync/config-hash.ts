import { hash as digest } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { ConfigContent } from './content.ts';

/**
 * The hash of a whole configuration, maintained incrementally: the sum modulo 2^256 of
 * sha256(`type \0 id \0 canonicalJson(entity)`) over every entity. A sum (rather than one digest
 * over a sorted stream) lets a one-entity delta update the hash of 50,000 entities in one step,
 * and it does not depend on order. Addition rather than XOR so that an entity counted twice
 * does not cancel out. Hex-encoded, 64 characters; the empty config is 64 zeros.
 */
export class ConfigHash {
  #sum: bigint;

  constructor(hex?: string) {
    this.#sum = hex === undefined || hex === '' ? 0n : parseHex(hex);
  }

  add(type: string, id: string, value: unknown): this {
    this.#sum = BigInt.asUintN(256, this.#sum + entityDigest(type, id, value));
    return this;
  }

  remove(type: string, id: string, value: unknown): this {
    this.#sum = BigInt.asUintN(256, this.#sum - entityDigest(type, id, value));
    return this;
  }

  hex(): string {
    return this.#sum.toString(16).padStart(64, '0');
  }

  clone(): ConfigHash {
    return new ConfigHash(this.hex());
  }
}

/** The hash of a whole configuration, from scratch. */
export function hashConfig(config: ConfigContent): string {
  const hash = new ConfigHash();
  for (const [type, byId] of config) {
    for (const [id, value] of byId) hash.add(type, id, value);
  }
  return hash.hex();
}

function entityDigest(type: string, id: string, value: unknown): bigint {
  // One-shot crypto.hash: no Hash object per entity.
  return BigInt(`0x${digest('sha256', `${type}\0${id}\0${canonicalJson(value)}`, 'hex')}`);
}

function parseHex(hex: string): bigint {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError(`not a config hash: ${JSON.stringify(hex)}`);
  return BigInt(`0x${hex}`);
}
