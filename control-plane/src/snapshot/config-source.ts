import type { ConfigChange, ConfigContent } from '@turnpike/shared/sync';

/** The changes that take a config from one version to `version`. */
export interface ChangeSet {
  version: number;
  /** The hash of the whole config at `version`. */
  hash: string;
  changes: ConfigChange[];
  /**
   * The hash the config had at the version asked for, when the source knows it: the sync
   * server then sends a delta only to a data plane holding exactly that content.
   */
  fromHash?: string;
}

export interface LatestVersion {
  version: number;
  hash: string;
}

/**
 * Where the sync server reads configuration: the control plane's snapshot builder over the
 * datastore implements it, and MemoryConfigSource for DB-less mode and tests. A contract, in
 * the manner of go-control-plane's cache: versions are monotonic; `latest()` is cheap and
 * synchronous; listeners may be called for several versions in a burst and must not assume
 * they see each one.
 */
export interface ConfigSource {
  latest(): LatestVersion;
  /** The current full config. */
  snapshot(): Promise<{ version: number; hash: string; config: ConfigContent }>;
  /**
   * The changes from `version` to the latest, merged in order; undefined when the change log
   * no longer reaches back to `version` (the server then sends a snapshot).
   */
  changesSince(version: number): Promise<ChangeSet | undefined>;
  /** Names of the plugins the config uses (for plugin_set_incompatible). */
  pluginsInUse(): string[];
  /** Calls the listener after each new version; returns an unsubscribe function. */
  onVersion(listener: (latest: LatestVersion) => void): () => void;
}
