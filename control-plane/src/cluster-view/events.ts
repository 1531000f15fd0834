/**
 * What one change of the data-plane registry means. The sync session writes a record's fields
 * in a few fixed shapes (hello, Ack, Nack, refusal, heartbeat, end of stream): the fields one
 * upsert set tell which of them happened, which a diff of records could not (a second Nack with
 * the same text changes nothing in the record).
 */
import type { DataPlaneChange, DataPlaneRecord } from '../sync/index.ts';

export type DataPlaneEventKind =
  /** A stream opened and said Hello. */
  | 'connect'
  /** The data plane applied a version. */
  | 'ack'
  /** The data plane refused a version and kept its last good one. */
  | 'nack'
  /** The control plane refused the data plane (version or plugins incompatible). */
  | 'refuse'
  /** The stream ended. */
  | 'disconnect'
  /** Only the sync status changed (for example back to normal). */
  | 'status'
  /** Only last_seen moved: a heartbeat. */
  | 'seen';

const REFUSALS = new Set(['plugin_set_incompatible', 'turnpike_version_incompatible']);

export function eventKindOf(change: DataPlaneChange): DataPlaneEventKind {
  if (change.connected === true) return 'connect';
  if (change.connected === false) return 'disconnect';
  if (change.sync_status === 'config_rejected') return 'nack';
  if (change.sync_status !== undefined && REFUSALS.has(change.sync_status)) return 'refuse';
  if (change.config_version !== undefined) return 'ack';
  if (change.sync_status !== undefined) return 'status';
  return 'seen';
}

/** One data plane as the cluster view shows it: Kong's list item plus whether its stream is open. */
export interface DataPlaneView {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly version: string;
  readonly sync_status: string;
  readonly config_version: number;
  readonly config_hash: string;
  readonly last_seen: number;
  readonly last_error: string;
  /** The refusal's or NACK's stable code (`TP_CONFIG_REJECTED`, …); '' when none. */
  readonly last_error_code: string;
  readonly connected: boolean;
  readonly labels: Record<string, string>;
}

export function dataPlaneView(record: DataPlaneRecord): DataPlaneView {
  return {
    id: record.id,
    hostname: record.hostname,
    ip: record.ip,
    version: record.version,
    sync_status: record.sync_status,
    config_version: record.config_version,
    config_hash: record.config_hash,
    last_seen: record.last_seen,
    last_error: record.last_error,
    last_error_code: record.last_error_code,
    connected: record.connected,
    labels: record.labels,
  };
}
