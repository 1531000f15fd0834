import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { constants, createGzip, createZstdCompress } from 'node:zlib';
import type { ConfigContent } from './content.ts';
import { COMPRESS_THRESHOLD, DEFAULT_MAX_PAYLOAD, type EncodedPayload, PayloadEncoding } from './payload.ts';
import { SyncPayloadError } from './payload-error.ts';

export interface EncodeOptions {
  /** Compression used above the threshold; default zstd, gzip for peers without it. */
  compression?: 'zstd' | 'gzip';
  /** `cluster_max_payload`: the largest payload (as sent, compressed) allowed. */
  maxPayload?: number;
  threshold?: number;
  /** How long one slice of JSON serialisation may hold the event loop; default 1 ms. */
  sliceMs?: number;
}

const DEFAULT_SLICE_MS = 1;

/** Entities serialised between two looks at the clock: a few hundred microseconds of work. */
const CLOCK_EVERY = 32;

/**
 * A snapshot as bytes: JSON `{ "entities": { type: [entity…] } }` — byte for byte what
 * `JSON.stringify` gives — zstd-compressed above a few kilobytes. The one encoder of both planes
 * (the control plane's snapshots, the data plane's cache file), so no two implementations ever
 * have to agree on bytes.
 *
 * It never holds the event loop for long: the JSON is written a slice of entities at a time
 * (yielding after `sliceMs`, 1 ms by default), each slice turned into bytes at once, and compression streams on
 * libuv's thread pool. At 50,000 routes a one-shot `JSON.stringify` + `zstdCompressSync` held the
 * control plane for a few hundred milliseconds: its Admin API and every sync stream waited.
 *
 * Throws SyncPayloadError when the result exceeds maxPayload: the control plane must not send
 * what the data plane will refuse.
 */
export async function encodeSnapshotPayload(
  config: ConfigContent,
  options: EncodeOptions = {},
): Promise<EncodedPayload> {
  const threshold = options.threshold ?? COMPRESS_THRESHOLD;
  const max = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const chunks = jsonChunks(config, options.sliceMs ?? DEFAULT_SLICE_MS);

  // Small configs go uncompressed: read up to the threshold before choosing.
  const head: Buffer[] = [];
  let headSize = 0;
  let ended = false;
  while (headSize < threshold) {
    const next = await chunks.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head.push(next.value);
    headSize += next.value.length;
  }
  if (ended && headSize < threshold) {
    const payload = Buffer.concat(head, headSize);
    refuseOversize(payload.length, max, true);
    return { encoding: PayloadEncoding.none, payload, uncompressedSize: payload.length };
  }

  let uncompressedSize = 0;
  async function* json(): AsyncGenerator<Buffer> {
    for (const chunk of head) {
      uncompressedSize += chunk.length;
      yield chunk;
    }
    for await (const chunk of chunks) {
      uncompressedSize += chunk.length;
      yield chunk;
    }
  }
  const gzip = options.compression === 'gzip';
  const compressor = gzip
    ? createGzip()
    : createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 3 } });
  const out: Buffer[] = [];
  let size = 0;
  await pipeline(Readable.from(json(), { objectMode: false }), compressor, async (compressed) => {
    for await (const chunk of compressed as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Stop early: the rest would only be thrown away.
      refuseOversize(size, max, false);
      out.push(chunk);
    }
  });
  return {
    encoding: gzip ? PayloadEncoding.gzip : PayloadEncoding.zstd,
    payload: Buffer.concat(out, size),
    uncompressedSize,
  };
}

function refuseOversize(size: number, max: number, whole: boolean): void {
  if (size > max) {
    throw new SyncPayloadError(
      `configuration payload is ${whole ? '' : 'at least '}${size} bytes, over cluster_max_payload (${max})`,
    );
  }
}

/**
 * The payload JSON as byte chunks, one per slice: entities are stringified until `sliceMs` has
 * passed, then the slice becomes bytes and the generator yields to the event loop.
 */
async function* jsonChunks(config: ConfigContent, sliceMs: number): AsyncGenerator<Buffer, void> {
  let parts: string[] = ['{"entities":{'];
  let sliceStart = performance.now();
  let sinceClock = 0;
  let firstType = true;
  for (const [type, byId] of config) {
    parts.push(`${firstType ? '' : ','}${JSON.stringify(type)}:[`);
    firstType = false;
    let firstEntity = true;
    for (const entity of byId.values()) {
      parts.push(firstEntity ? JSON.stringify(entity) : `,${JSON.stringify(entity)}`);
      firstEntity = false;
      if (++sinceClock < CLOCK_EVERY) continue;
      sinceClock = 0;
      if (performance.now() - sliceStart < sliceMs) continue;
      yield Buffer.from(parts.join(''));
      parts = [];
      await yieldToLoop();
      sliceStart = performance.now();
    }
    parts.push(']');
  }
  parts.push('}}');
  yield Buffer.from(parts.join(''));
}
