/**
 * The cluster view's state, updated by the events of `/clustering/events`: pure, so that what
 * an event does to the view is tested without a browser.
 */
export interface DataPlane {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly version: string;
  readonly sync_status: string;
  readonly config_version: number;
  readonly config_hash: string;
  readonly last_seen: number;
  readonly last_error: string;
  /** The stable code of the last refusal or NACK (`TP_CONFIG_REJECTED`, …); absent from older CPs. */
  readonly last_error_code?: string;
  readonly connected: boolean;
}

export interface LogLine {
  readonly at: number;
  readonly text: string;
}

export interface ClusterState {
  readonly latest: { readonly version: number; readonly hash: string };
  readonly dataPlanes: readonly DataPlane[];
  readonly log: readonly LogLine[];
}

export const EMPTY: ClusterState = { latest: { version: 0, hash: '' }, dataPlanes: [], log: [] };

const LOG_SIZE = 30;

function upsert(list: readonly DataPlane[], dp: DataPlane): DataPlane[] {
  const out = list.filter((d) => d.id !== dp.id);
  out.push(dp);
  return out.sort((a, b) => a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
}

function logged(state: ClusterState, at: number, text: string): readonly LogLine[] {
  return [{ at, text }, ...state.log].slice(0, LOG_SIZE);
}

type Event =
  | { type: 'snapshot'; latest: ClusterState['latest']; data_planes: DataPlane[] }
  | { type: 'version'; version: number; hash: string; at: number }
  | { type: 'data-plane'; kind: string; data_plane: DataPlane; reached?: { version: number; ms: number }[] };

/** Applies one event; `now` stamps the log line. Unknown events change nothing. */
export function applyEvent(state: ClusterState, type: string, data: unknown, now: number): ClusterState {
  const event = { type, ...(data as object) } as Event;
  switch (event.type) {
    case 'snapshot':
      return { latest: event.latest, dataPlanes: upsertAll(event.data_planes), log: state.log };
    case 'version':
      return {
        ...state,
        latest: { version: event.version, hash: event.hash },
        log: logged(state, now, `config version ${event.version} published`),
      };
    case 'data-plane': {
      const dp = event.data_plane;
      const dataPlanes = upsert(state.dataPlanes, dp);
      if (event.kind === 'seen' || event.kind === 'status') return { ...state, dataPlanes };
      const name = dp.hostname || dp.id.slice(0, 8);
      const reason = dp.last_error_code ? `${dp.last_error_code}: ${dp.last_error}` : dp.last_error;
      const text =
        event.kind === 'connect'
          ? `${name} connected`
          : event.kind === 'disconnect'
            ? `${name} disconnected`
            : event.kind === 'ack'
              ? `${name} applied version ${dp.config_version}${reachText(event.reached)}`
              : event.kind === 'nack'
                ? `${name} rejected a configuration: ${reason}`
                : `${name} was refused: ${reason}`;
      return { ...state, dataPlanes, log: logged(state, now, text) };
    }
    default:
      return state;
  }
}

function upsertAll(list: readonly DataPlane[]): DataPlane[] {
  return list.reduce<DataPlane[]>((acc, dp) => upsert(acc, dp), []);
}

function reachText(reached: readonly { version: number; ms: number }[] | undefined): string {
  const last = reached?.at(-1);
  return last === undefined ? '' : ` (${last.ms} ms after it was published)`;
}

/** How many versions a data plane is behind the control plane. */
export function lag(state: ClusterState, dp: DataPlane): number {
  return Math.max(0, state.latest.version - dp.config_version);
}
