import {
  applyDelta,
  type ConfigChange,
  type ConfigContent,
  EMPTY_CONFIG,
  hashConfig,
} from '@turnpike/shared/sync';
import type { ChangeSet, ConfigSource, LatestVersion } from './config-source.ts';

interface LogEntry {
  /** The version these changes produce. */
  version: number;
  hash: string;
  changes: readonly ConfigChange[];
}

export interface MemoryConfigSourceOptions {
  /** The initial config, published as version `version` (default 1 if non-empty, else 0). */
  config?: ConfigContent;
  version?: number;
  /** How many versions of change log to keep; older data planes get a snapshot. Default 1000. */
  maxLogVersions?: number;
}

/**
 * A ConfigSource held in memory: each `apply` publishes a new version. Used in DB-less mode
 * and by tests. Keeps a bounded change log so that late data planes still get deltas.
 */
export class MemoryConfigSource implements ConfigSource {
  #config: ConfigContent;
  #version: number;
  #hash: string;
  #log: LogEntry[] = [];
  /** The oldest version the log can reach forward from. */
  #logStart: number;
  #hashes = new Map<number, string>();
  #inUse: { version: number; names: string[] } | undefined;
  readonly #maxLogVersions: number;
  readonly #listeners = new Set<(latest: LatestVersion) => void>();

  constructor(options: MemoryConfigSourceOptions = {}) {
    this.#config = options.config ?? EMPTY_CONFIG;
    this.#version = options.version ?? (this.#config.size > 0 ? 1 : 0);
    this.#hash = hashConfig(this.#config);
    this.#logStart = this.#version;
    this.#hashes.set(this.#version, this.#hash);
    this.#maxLogVersions = options.maxLogVersions ?? 1000;
  }

  latest(): LatestVersion {
    return { version: this.#version, hash: this.#hash };
  }

  async snapshot(): Promise<{ version: number; hash: string; config: ConfigContent }> {
    return { version: this.#version, hash: this.#hash, config: this.#config };
  }

  async changesSince(version: number): Promise<ChangeSet | undefined> {
    if (version < this.#logStart || version > this.#version) return undefined;
    const changes: ConfigChange[] = [];
    for (const entry of this.#log) if (entry.version > version) changes.push(...entry.changes);
    const fromHash = this.#hashes.get(version);
    return {
      version: this.#version,
      hash: this.#hash,
      changes,
      ...(fromHash === undefined ? {} : { fromHash }),
    };
  }

  pluginsInUse(): string[] {
    // Asked at every push to every data plane: computed once per version.
    if (this.#inUse?.version === this.#version) return this.#inUse.names;
    const names = new Set<string>();
    for (const plugin of this.#config.get('plugins')?.values() ?? []) {
      const name = (plugin as { name?: unknown }).name;
      if (typeof name === 'string') names.add(name);
    }
    this.#inUse = { version: this.#version, names: [...names].sort() };
    return this.#inUse.names;
  }

  onVersion(listener: (latest: LatestVersion) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Publishes the changes as the next version and returns it. `version` (greater than the
   * current one) is given by sources that follow another numbering, such as the datastore's.
   */
  apply(changes: readonly ConfigChange[], version = this.#version + 1): LatestVersion {
    if (version <= this.#version) throw new RangeError(`version ${version} is not after ${this.#version}`);
    const next = applyDelta(this.#config, this.#hash, changes);
    this.#config = next.config;
    this.#hash = next.hash;
    this.#version = version;
    this.#log.push({ version: this.#version, hash: this.#hash, changes });
    this.#hashes.set(this.#version, this.#hash);
    while (this.#log.length > this.#maxLogVersions) {
      const dropped = this.#log.shift();
      if (dropped !== undefined) {
        this.#hashes.delete(this.#logStart);
        this.#logStart = dropped.version;
      }
    }
    const latest = this.latest();
    for (const listener of this.#listeners) listener(latest);
    return latest;
  }

  /** Replaces the whole config as the next version (or `version`); the change log restarts there. */
  replace(config: ConfigContent, version = this.#version + 1): LatestVersion {
    if (version <= this.#version) throw new RangeError(`version ${version} is not after ${this.#version}`);
    this.#config = config;
    this.#hash = hashConfig(config);
    this.#version = version;
    this.#log = [];
    this.#hashes.clear();
    this.#logStart = this.#version;
    this.#hashes.set(this.#version, this.#hash);
    const latest = this.latest();
    for (const listener of this.#listeners) listener(latest);
    return latest;
  }
}
