/**
 * The cluster as it changes, for the Admin GUI: the data-plane registry's changes (connect,
 * Ack, Nack, refusal, heartbeat, disconnect) and the config versions, turned into events that
 * `GET /clustering/events` streams, plus the timeline of recent versions with what each changed
 * (the store's change log) and how long it took to reach each data plane.
 */
import type { Logger, Stoppable } from '@turnpike/shared';
import type { ConfigSource } from '../snapshot/index.ts';
import type { RecentConfigChange } from '../store/index.ts';
import type { DataPlaneRegistry } from '../sync/index.ts';
import { type DataPlaneEventKind, type DataPlaneView, dataPlaneView, eventKindOf } from './events.ts';
import { type Reached, ReachTimeline } from './reach.ts';

export type ClusterEvent =
  | {
      readonly type: 'data-plane';
      readonly kind: DataPlaneEventKind;
      readonly data_plane: DataPlaneView;
      /** With an Ack: the versions it brought to this data plane, and how long each took. */
      readonly reached?: readonly Reached[];
    }
  | { readonly type: 'version'; readonly version: number; readonly hash: string; readonly at: number };

export interface ClusterSnapshot {
  readonly latest: { readonly version: number; readonly hash: string };
  readonly data_planes: readonly DataPlaneView[];
}

export interface TimelineEntry {
  readonly version: number;
  /** When the version was written (the change log), else when this control plane learned of it. */
  readonly at: number;
  readonly changes: readonly { readonly entity: string; readonly id: string; readonly op: string }[];
  /** How many changes the version holds; `changes` lists the first of them. */
  readonly total_changes: number;
  /** Milliseconds from the version to each data plane's Ack of it, by data-plane id. */
  readonly reached: Readonly<Record<string, number>>;
}

export interface ClusterFeed extends Stoppable {
  snapshot(): ClusterSnapshot;
  /** `end` is called when the feed stops (the node is shutting down). */
  subscribe(listener: (event: ClusterEvent) => void, end: () => void): () => void;
  timeline(size: number): Promise<TimelineEntry[]>;
}

export interface ClusterFeedOptions {
  readonly registry: DataPlaneRegistry;
  readonly source: Pick<ConfigSource, 'latest' | 'onVersion'>;
  /** The change log's last `versions` versions, at most `perVersion` changes each. */
  readonly recentChanges: (versions: number, perVersion: number) => Promise<RecentConfigChange[]>;
  readonly log: Logger;
  readonly now?: () => number;
}

/** Changes listed per version in the timeline. */
const CHANGES_PER_VERSION = 20;

export function startClusterFeed(options: ClusterFeedOptions): ClusterFeed {
  const { registry, source, log } = options;
  const now = options.now ?? Date.now;
  const reach = new ReachTimeline();
  const subscribers = new Map<(event: ClusterEvent) => void, () => void>();
  reach.versionSeen(source.latest().version, now());

  const publish = (event: ClusterEvent): void => {
    for (const listener of subscribers.keys()) {
      try {
        listener(event);
      } catch (err) {
        log.warn({ err }, 'cluster event listener failed');
      }
    }
  };

  const offVersion = source.onVersion((latest) => {
    const at = now();
    reach.versionSeen(latest.version, at);
    publish({ type: 'version', version: latest.version, hash: latest.hash, at });
  });
  const offChange = registry.onChange((record, change) => {
    const kind = eventKindOf(change);
    const at = now();
    if (kind === 'connect') reach.connected(record.id, at);
    const reached = kind === 'ack' ? reach.acked(record.id, record.config_version, at) : undefined;
    publish({
      type: 'data-plane',
      kind,
      data_plane: dataPlaneView(record),
      ...(reached === undefined ? {} : { reached }),
    });
  });

  return {
    name: 'cluster feed',
    snapshot() {
      const data_planes: DataPlaneView[] = [];
      for (const item of registry.list()) {
        const record = registry.get(item.id);
        if (record !== undefined) data_planes.push(dataPlaneView(record));
      }
      return { latest: source.latest(), data_planes };
    },
    subscribe(listener, end) {
      subscribers.set(listener, end);
      return () => subscribers.delete(listener);
    },
    async timeline(size) {
      const reached = new Map(reach.entries().map((e) => [e.version, e]));
      const rows = await options.recentChanges(size, CHANGES_PER_VERSION);
      const byVersion = new Map<number, TimelineEntry & { changes: TimelineEntry['changes'][number][] }>();
      for (const row of rows) {
        let entry = byVersion.get(row.version);
        if (entry === undefined) {
          entry = {
            version: row.version,
            at: row.at,
            changes: [],
            total_changes: row.total,
            reached: reached.get(row.version)?.reached ?? {},
          };
          byVersion.set(row.version, entry);
        }
        entry.changes.push({ entity: row.entity, id: row.id, op: row.op });
      }
      // Versions this control plane timed whose log is gone (or that changed nothing) still show.
      for (const [version, e] of reached) {
        if (!byVersion.has(version) && version > 0 && version > source.latest().version - size) {
          byVersion.set(version, { version, at: e.at, changes: [], total_changes: 0, reached: e.reached });
        }
      }
      return [...byVersion.values()].sort((a, b) => b.version - a.version);
    },
    async stop() {
      offVersion();
      offChange();
      const ends = [...subscribers.values()];
      subscribers.clear();
      for (const end of ends) end();
    },
  };
}
