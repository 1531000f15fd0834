/**
 * Random ids for plugins (trace and span ids): the OS's random bytes drawn in 4 KiB blocks and
 * sliced per id, so an id costs a hex encoding, not a crypto call (randomBytes per id was 5% of a
 * traced request's CPU).
 */
import { randomFillSync } from 'node:crypto';

const BLOCK = Buffer.allocUnsafe(4096);
let next = BLOCK.length;

/** `bytes` random bytes as lowercase hex (2 × bytes digits). */
export function randomHex(bytes: number): string {
  if (bytes > BLOCK.length) throw new RangeError(`randomHex: at most ${BLOCK.length} bytes`);
  if (next + bytes > BLOCK.length) {
    randomFillSync(BLOCK);
    next = 0;
  }
  const start = next;
  next += bytes;
  return BLOCK.toString('hex', start, start + bytes);
}
