import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigCacheError as CacheFileError } from '@turnpike/shared';
import {
  decodeSnapshotPayload,
  encodeSnapshotPayload,
  hashConfig,
  type PayloadEncoding,
  type VersionedConfig,
} from '@turnpike/shared/sync';

const FORMAT = 'turnpike-config-cache/1';

interface CacheHeader {
  format: string;
  version: number;
  hash: string;
  encoding: PayloadEncoding;
  uncompressed_size: number;
}

/** A cache file that exists but cannot be trusted; the message says why. */
export { CacheFileError };

/**
 * The last applied config, so that a data plane restarted while its control plane is down
 * serves what it served before. Format: one JSON header line (version, hash, encoding), then
 * the snapshot payload bytes, from the one encoder the control plane uses for the wire (which
 * does not hold the event loop: the main process keeps answering the stream meanwhile).
 */
export async function writeCacheFile(path: string, current: VersionedConfig): Promise<void> {
  const encoded = await encodeSnapshotPayload(current.config, { maxPayload: Number.MAX_SAFE_INTEGER });
  const header: CacheHeader = {
    format: FORMAT,
    version: current.version,
    hash: current.hash,
    encoding: encoded.encoding,
    uncompressed_size: encoded.uncompressedSize,
  };
  const bytes = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), encoded.payload]);
  // Write beside, fsync, rename, fsync the folder: a crash leaves the old file or the new one,
  // never a torn one.
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** The cached config; undefined when there is no file; CacheFileError when it is corrupt. */
export async function readCacheFile(path: string): Promise<VersionedConfig | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CacheFileError(path, (error as Error).message);
  }
  const newline = bytes.indexOf(0x0a);
  if (newline === -1) throw new CacheFileError(path, 'no header line');
  let header: CacheHeader;
  try {
    header = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
  } catch {
    throw new CacheFileError(path, 'the header line is not JSON');
  }
  if (header?.format !== FORMAT) throw new CacheFileError(path, `not a ${FORMAT} file`);
  if (!Number.isSafeInteger(header.version) || header.version < 0 || typeof header.hash !== 'string') {
    throw new CacheFileError(path, 'the header has no valid version and hash');
  }
  let config: VersionedConfig['config'];
  try {
    config = decodeSnapshotPayload(
      {
        encoding: header.encoding,
        payload: bytes.subarray(newline + 1),
        uncompressedSize: header.uncompressed_size,
      },
      { maxPayload: Number.MAX_SAFE_INTEGER, maxUncompressed: 2 ** 31 },
    );
  } catch (error) {
    throw new CacheFileError(path, (error as Error).message);
  }
  const hash = hashConfig(config);
  if (hash !== header.hash)
    throw new CacheFileError(path, `content hashes to ${hash}, header says ${header.hash}`);
  return { version: header.version, hash, config };
}
