/**
 * A snapshot payload that cannot be encoded within the size guard, or decoded (unknown
 * encoding, corrupt compression, size mismatch, not the JSON shape). Its message is what a data
 * plane sends in its Nack. Kept local until the catalogue in ../errors.ts gains a sync row.
 */
export class SyncPayloadError extends Error {
  override readonly name = 'SyncPayloadError';
}
