import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { type ConfigContent, configFromEntities } from './content.ts';
import { SyncPayloadError } from './payload-error.ts';

/** How a snapshot payload is compressed; the numbers are the proto's `Encoding` values. */
export const PayloadEncoding = { none: 0, gzip: 1, zstd: 2 } as const;
export type PayloadEncoding = (typeof PayloadEncoding)[keyof typeof PayloadEncoding];

/** Below this many bytes of JSON, compression costs more than it saves. */
export const COMPRESS_THRESHOLD = 4096;

/** Kong's cluster_max_payload default (16 MiB). */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/** The decompressed ceiling when the caller gives none: JSON of entities compresses ~10–40×. */
const DEFAULT_MAX_UNCOMPRESSED_FACTOR = 64;

export interface EncodedPayload {
  encoding: PayloadEncoding;
  payload: Buffer;
  uncompressedSize: number;
}

export interface DecodeOptions {
  /** `cluster_max_payload`: the largest payload accepted off the wire. */
  maxPayload?: number;
  /** The largest decompressed size accepted; default 64 × maxPayload. */
  maxUncompressed?: number;
}

/**
 * The config inside a snapshot payload. Refuses, before decompressing, a payload over
 * maxPayload or one announcing a decompressed size over the ceiling, and stops decompression
 * at the announced size, so a corrupt or hostile payload cannot exhaust memory.
 */
export function decodeSnapshotPayload(encoded: EncodedPayload, options: DecodeOptions = {}): ConfigContent {
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const maxUncompressed = options.maxUncompressed ?? maxPayload * DEFAULT_MAX_UNCOMPRESSED_FACTOR;
  if (encoded.payload.length > maxPayload) {
    throw new SyncPayloadError(
      `payload is ${encoded.payload.length} bytes, over cluster_max_payload (${maxPayload})`,
    );
  }
  if (encoded.uncompressedSize > maxUncompressed) {
    throw new SyncPayloadError(
      `payload announces ${encoded.uncompressedSize} bytes uncompressed, over the limit (${maxUncompressed})`,
    );
  }
  const json = decompress(encoded);
  if (json.length !== encoded.uncompressedSize) {
    throw new SyncPayloadError(
      `payload is ${json.length} bytes uncompressed, expected ${encoded.uncompressedSize}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (error) {
    throw new SyncPayloadError(`payload is not JSON: ${(error as Error).message}`);
  }
  const entities = (parsed as { entities?: unknown } | null)?.entities;
  if (typeof entities !== 'object' || entities === null || Array.isArray(entities)) {
    throw new SyncPayloadError('payload has no "entities" object');
  }
  for (const [type, list] of Object.entries(entities)) {
    if (!Array.isArray(list)) throw new SyncPayloadError(`payload entities.${type} is not an array`);
  }
  try {
    return configFromEntities(entities as Record<string, unknown[]>);
  } catch (error) {
    throw new SyncPayloadError(`payload is invalid: ${(error as Error).message}`);
  }
}

function decompress(encoded: EncodedPayload): Buffer {
  // One byte over the announced size is enough to detect a lie without buffering the rest.
  const maxOutputLength = Math.max(encoded.uncompressedSize + 1, 1);
  try {
    switch (encoded.encoding) {
      case PayloadEncoding.none:
        return encoded.payload;
      case PayloadEncoding.gzip:
        return gunzipSync(encoded.payload, { maxOutputLength });
      case PayloadEncoding.zstd:
        return zstdDecompressSync(encoded.payload, { maxOutputLength });
      default:
        throw new SyncPayloadError(`unsupported payload encoding ${String(encoded.encoding)}`);
    }
  } catch (error) {
    if (error instanceof SyncPayloadError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SyncPayloadError(
        `payload decompresses beyond the announced ${encoded.uncompressedSize} bytes`,
      );
    }
    throw new SyncPayloadError(`payload cannot be decompressed: ${(error as Error).message}`);
  }
}
