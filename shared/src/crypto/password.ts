import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** log2 of scrypt's N for new hashes: ~32 MiB and tens of ms per hash, run off the event loop. */
const LN = 15;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bounds on parameters read from a stored hash, so a crafted one cannot exhaust memory or CPU. */
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const;

function derive(
  password: string,
  salt: Buffer,
  ln: number,
  r: number,
  p: number,
  length: number,
): Promise<Buffer> {
  const N = 2 ** ln;
  return new Promise((resolve, reject) => {
    // scrypt needs 128·N·r bytes; leave headroom over Node's 32 MiB default.
    scrypt(password, salt, length, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (PHC string format, unpadded base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, LN, R, P, HASH_BYTES);
  return `$scrypt$ln=${LN},r=${R},p=${P}$${b64(salt)}$${b64(hash)}`;
}

interface ParsedHash {
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function within(value: number, [min, max]: readonly [number, number]): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function parse(stored: string): ParsedHash | undefined {
  const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (match === null) return undefined;
  const [, ln, r, p, salt, hash] = match;
  const parsed = {
    ln: Number(ln),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt ?? '', 'base64'),
    hash: Buffer.from(hash ?? '', 'base64'),
  };
  if (!within(parsed.ln, LIMITS.ln) || !within(parsed.r, LIMITS.r) || !within(parsed.p, LIMITS.p))
    return undefined;
  // scrypt's output for a shorter length is a prefix of the longer one: a fixed length stops a
  // truncated hash from verifying with fewer bits.
  if (parsed.salt.length < 16 || parsed.hash.length !== HASH_BYTES) return undefined;
  return parsed;
}

/** True when `password` matches a hash from hashPassword; false for a mismatch or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === undefined) return false;
  const candidate = await derive(password, parsed.salt, parsed.ln, parsed.r, parsed.p, HASH_BYTES);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when a stored hash uses weaker parameters than new hashes do: rehash at the next successful login. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return parsed === undefined || parsed.ln < LN || parsed.r < R || parsed.p < P;
}
