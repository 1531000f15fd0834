import type { Delta, Snapshot } from '@turnpike/proto';
import {
  type Logger,
  SyncDeltaBaseError,
  SyncHashMismatchError,
  SyncPayloadError,
  TurnpikeError,
} from '@turnpike/shared';
import {
  applyDelta,
  type ConfigDelta,
  changeFromWire,
  decodeSnapshotPayload,
  hashConfig,
  type VersionedConfig,
} from '@turnpike/shared/sync';
import { readCacheFile } from './cache-file.ts';
import { CacheWriter } from './cache-writer.ts';

export interface ConfigStoreOptions {
  /** Where the last applied config is kept: read at boot, written after each commit. */
  cacheFile: string;
  /** The shortest time between two cache file writes (a burst of versions is written once); default 1 s. */
  cacheWriteIntervalMs?: number;
  /** `cluster_max_payload`. */
  maxPayload: number;
  log: Logger;
  onCacheWritten?: (version: number) => void;
  /** Keeps committed versions on disk; default a CacheWriter of `cacheFile`. */
  cache?: ConfigCache;
}

/** What the store needs of its cache file writer (CacheWriter). */
export interface ConfigCache {
  schedule(config: VersionedConfig): void;
  flush(): Promise<void>;
}

/** A delta turned into the config it produces, with the changes that made it. */
export interface DeltaCandidate {
  next: VersionedConfig;
  delta: ConfigDelta;
}

/**
 * The configuration a data plane holds: the version it serves (and says in Hello), how a
 * Snapshot or a Delta becomes the next one — decoded, applied, hash verified — and the cache
 * file it is kept in. Nothing here talks to the control plane or to the workers; what fails
 * throws an error of the catalogue, whose code the Nack carries.
 */
export class ConfigStore {
  readonly #options: ConfigStoreOptions;
  readonly #cache: ConfigCache;
  #held: VersionedConfig | undefined;

  constructor(options: ConfigStoreOptions) {
    this.#options = options;
    this.#cache =
      options.cache ??
      new CacheWriter({
        path: options.cacheFile,
        log: options.log,
        ...(options.cacheWriteIntervalMs === undefined ? {} : { intervalMs: options.cacheWriteIntervalMs }),
        ...(options.onCacheWritten === undefined ? {} : { onWritten: options.onCacheWritten }),
      });
  }

  /** What this data plane serves; undefined before the first config. */
  get held(): VersionedConfig | undefined {
    return this.#held;
  }

  /** The cache file's config; undefined when there is none; CacheFileError when it is corrupt. */
  readCache(): Promise<VersionedConfig | undefined> {
    return readCacheFile(this.#options.cacheFile);
  }

  /** The config a Snapshot carries. Throws SyncPayloadError or SyncHashMismatchError. */
  fromSnapshot(snapshot: Snapshot): VersionedConfig {
    const config = decodeSnapshotPayload(snapshot, { maxPayload: this.#options.maxPayload });
    const hash = hashConfig(config);
    if (hash !== snapshot.hash) {
      throw new SyncHashMismatchError(`snapshot ${snapshot.version} hashes to ${hash}, not ${snapshot.hash}`);
    }
    return { version: snapshot.version, hash, config };
  }

  /**
   * The config a Delta makes of the one held (which stays intact). Throws SyncDeltaBaseError when
   * it does not build on the version held, SyncPayloadError for a change that cannot be read or
   * applied, SyncHashMismatchError when the result does not hash to what the delta says.
   */
  fromDelta(delta: Delta): DeltaCandidate {
    const held = this.#held;
    if (held === undefined || held.version !== delta.fromVersion) {
      throw new SyncDeltaBaseError(
        `delta from version ${delta.fromVersion}, but this data plane holds ${held?.version ?? 'none'}`,
      );
    }
    let applied: ReturnType<typeof applyDelta>;
    let changes: ConfigDelta['changes'];
    try {
      changes = delta.changes.map(changeFromWire);
      applied = applyDelta(held.config, held.hash, changes);
    } catch (error) {
      if (error instanceof TurnpikeError) throw error;
      throw new SyncPayloadError((error as Error).message, { cause: error });
    }
    if (applied.hash !== delta.hash) {
      throw new SyncHashMismatchError(
        `delta to version ${delta.version} hashes to ${applied.hash}, not ${delta.hash}`,
      );
    }
    return {
      next: { version: delta.version, hash: applied.hash, config: applied.config },
      delta: { fromVersion: delta.fromVersion, changes },
    };
  }

  /**
   * `next` now serves traffic. Its cache file write is scheduled off the Ack's path (CacheWriter
   * says what a crash in between costs), unless it came from the cache file itself.
   */
  commit(next: VersionedConfig, options: { fromCache?: boolean } = {}): void {
    this.#held = next;
    if (options.fromCache !== true) this.#cache.schedule(next);
  }

  /** Writes what is pending: a stopped data plane restarts from the version it served last. */
  flush(): Promise<void> {
    return this.#cache.flush();
  }
}
