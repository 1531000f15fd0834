/** Kong's sync_status values (kong/constants.lua CLUSTERING_SYNC_STATUS), plus Turnpike's own. */
export type SyncStatus =
  | 'normal'
  | 'unknown'
  | 'plugin_set_incompatible'
  | 'turnpike_version_incompatible'
  | 'config_rejected'
  | 'offline';

/** What the control plane knows of one data plane. */
export interface DataPlaneRecord {
  id: string;
  hostname: string;
  ip: string;
  /** The data plane's Turnpike version. */
  version: string;
  config_version: number;
  config_hash: string;
  /** Seconds since the Unix epoch of the last message or heartbeat. */
  last_seen: number;
  sync_status: SyncStatus;
  /**
   * The last problem with this data plane — a Nack's text, a refusal's message, an Ack timeout,
   * a hash drift — until it is back in sync; empty when none.
   */
  last_error: string;
  /** Its code from the error catalogue (TP_WORKER, TP_SYNC_HASH_MISMATCH…); empty for a refusal or none. */
  last_error_code: string;
  cert_details: { expiry_timestamp: number } | undefined;
  connected: boolean;
  labels: Record<string, string>;
}

/** An item of Kong's `GET /clustering/data-planes`. */
export interface DataPlaneListItem {
  id: string;
  hostname: string;
  ip: string;
  version: string;
  sync_status: SyncStatus;
  config_hash: string;
  config_version: number;
  last_seen: number;
  updated_at: number;
  labels: Record<string, string>;
  cert_details?: { expiry_timestamp: number };
  last_error?: string;
  last_error_code?: string;
}

/** The fields one `upsert` set: what happened (a hello, an Ack, a Nack, a heartbeat, the stream's end). */
export type DataPlaneChange = Partial<Omit<DataPlaneRecord, 'id'>>;

/**
 * The data planes a control plane knows. Memory now; the control plane will back it with a
 * PostgreSQL table (Kong's clustering_data_planes) so that every control plane sees every DP.
 */
export interface DataPlaneRegistry {
  /** Inserts or updates one data plane by id, merging the given fields. */
  upsert(id: string, fields: Partial<Omit<DataPlaneRecord, 'id'>>): DataPlaneRecord;
  get(id: string): DataPlaneRecord | undefined;
  list(): DataPlaneListItem[];
  /** Calls the listener after every change, with the record and the fields that changed; returns an unsubscribe function. */
  onChange(listener: (record: DataPlaneRecord, change: DataPlaneChange) => void): () => void;
}

export class MemoryDataPlaneRegistry implements DataPlaneRegistry {
  readonly #records = new Map<string, DataPlaneRecord & { updated_at: number }>();
  readonly #listeners = new Set<(record: DataPlaneRecord, change: DataPlaneChange) => void>();
  readonly #now: () => number;
  readonly #purgeDelaySeconds: number | undefined;

  /**
   * `now` returns milliseconds; injectable so that tests need no clock. `purgeDelaySeconds` is
   * Kong's cluster_data_plane_purge_delay: a data plane not seen for that long (no message, no
   * heartbeat; a connected one is seen every heartbeat) is forgotten, as Kong's
   * clustering_data_planes rows expire.
   */
  constructor(now: () => number = Date.now, purgeDelaySeconds?: number) {
    this.#now = now;
    this.#purgeDelaySeconds = purgeDelaySeconds;
  }

  #purge(): void {
    if (this.#purgeDelaySeconds === undefined) return;
    const oldest = Math.floor(this.#now() / 1000) - this.#purgeDelaySeconds;
    for (const [id, record] of this.#records) if (record.last_seen < oldest) this.#records.delete(id);
  }

  upsert(id: string, fields: Partial<Omit<DataPlaneRecord, 'id'>>): DataPlaneRecord {
    const seconds = Math.floor(this.#now() / 1000);
    const record = this.#records.get(id) ?? {
      id,
      hostname: '',
      ip: '',
      version: '',
      config_version: 0,
      config_hash: '',
      last_seen: seconds,
      sync_status: 'unknown',
      last_error: '',
      last_error_code: '',
      cert_details: undefined,
      connected: false,
      labels: {},
      updated_at: seconds,
    };
    Object.assign(record, fields, { updated_at: seconds });
    this.#records.set(id, record);
    const copy = { ...record };
    for (const listener of this.#listeners) listener(copy, fields);
    return copy;
  }

  get(id: string): DataPlaneRecord | undefined {
    this.#purge();
    const record = this.#records.get(id);
    return record === undefined ? undefined : { ...record };
  }

  list(): DataPlaneListItem[] {
    this.#purge();
    return [...this.#records.values()].map((r) => ({
      id: r.id,
      hostname: r.hostname,
      ip: r.ip,
      version: r.version,
      sync_status: r.sync_status,
      config_hash: r.config_hash,
      config_version: r.config_version,
      last_seen: r.last_seen,
      updated_at: r.updated_at,
      labels: r.labels,
      ...(r.cert_details === undefined ? {} : { cert_details: r.cert_details }),
      ...(r.last_error === '' ? {} : { last_error: r.last_error }),
      ...(r.last_error_code === '' ? {} : { last_error_code: r.last_error_code }),
    }));
  }

  onChange(listener: (record: DataPlaneRecord, change: DataPlaneChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Kong's cluster_dp_labels are `key:value` strings; a label without a colon has an empty value. */
export function parseLabels(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of labels) {
    const colon = label.indexOf(':');
    if (colon === -1) out[label] = '';
    else out[label.slice(0, colon)] = label.slice(colon + 1);
  }
  return out;
}
