/** Page size and the opaque offset (base64 of the last id of the previous page), as Kong's DAO checks them. */
import { invalidOffset, invalidSize } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The size to use; InvalidSizeError unless an integer in 1..1000. */
export function pageSize(size: number | undefined): number {
  if (size === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw invalidSize(MAX_PAGE_SIZE);
  return size;
}

export function encodeOffset(lastId: string): string {
  return Buffer.from(JSON.stringify([lastId]), 'utf8').toString('base64');
}

/** The id to continue after; InvalidOffsetError for anything encodeOffset did not make. */
export function decodeOffset(offset: string): string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(offset)) throw invalidOffset(offset);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(offset, 'base64').toString('utf8'));
  } catch {
    throw invalidOffset(offset);
  }
  const [id] = Array.isArray(decoded) && decoded.length === 1 ? decoded : [];
  if (typeof id !== 'string' || !isUuid(id)) throw invalidOffset(offset);
  return id;
}
