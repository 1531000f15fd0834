/**
 * Request ids: 32 lowercase hex digits per request, as Kong's `$kong_request_id` (16 random bytes,
 * hex). Random bytes are drawn from the OS in blocks of 256 ids and sliced per request, so a
 * request costs one hex encoding of 16 bytes, not a crypto call.
 */

import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const IDS_PER_BLOCK = 256;
const block = Buffer.allocUnsafe(ID_BYTES * IDS_PER_BLOCK);
let next = IDS_PER_BLOCK;

/** A new request id (32 hex digits). */
export function newRequestId(): string {
  if (next === IDS_PER_BLOCK) {
    randomFillSync(block);
    next = 0;
  }
  const start = next * ID_BYTES;
  next++;
  return block.toString('hex', start, start + ID_BYTES);
}

/** The length of every request id, in characters (and bytes: hex is ASCII). */
export const REQUEST_ID_LENGTH = ID_BYTES * 2;
