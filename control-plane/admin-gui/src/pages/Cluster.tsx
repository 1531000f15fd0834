/**
 * The cluster, live: every data plane with its config version, hash, sync status, lag, last
 * seen and last NACK, pushed by `/clustering/events`; and the timeline of config versions with
 * the entities each changed and how long each took to reach every data plane.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { followClusterEvents, type StreamState } from '../api/events.ts';
import { applyEvent, type ClusterState, EMPTY, lag } from '../cluster-state.ts';
import { useSession } from '../context.ts';

interface TimelineEntry {
  readonly version: number;
  readonly at: number;
  readonly changes: readonly { readonly entity: string; readonly id: string; readonly op: string }[];
  readonly total_changes: number;
  readonly reached: Readonly<Record<string, number>>;
}

function ago(seconds: number, now: number): string {
  const s = Math.max(0, Math.round(now / 1000 - seconds));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

const STATE_TEXT: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  retrying: 'reconnecting…',
};

export function Cluster() {
  const { client } = useSession();
  const [state, setState] = useState<ClusterState>(EMPTY);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [now, setNow] = useState(Date.now());
  const refresh = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    const loadTimeline = () => {
      clearTimeout(refresh.current);
      refresh.current = setTimeout(() => {
        client
          .get<{ data: TimelineEntry[] }>('/clustering/timeline?size=15')
          .then((r) => setTimeline(r.data))
          .catch(() => undefined);
      }, 250);
    };
    loadTimeline();
    const stop = followClusterEvents(client, {
      event: (type, data) => {
        setState((s) => applyEvent(s, type, data, Date.now()));
        const kind = (data as { kind?: string }).kind;
        if (type === 'version' || kind === 'ack') loadTimeline();
      },
      state: setStream,
    });
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stop();
      clearInterval(tick);
      clearTimeout(refresh.current);
    };
  }, []);

  const connected = state.dataPlanes.filter((d) => d.connected);
  const hostOf = new Map(state.dataPlanes.map((d) => [d.id, d.hostname || d.id.slice(0, 8)]));

  return (
    <section aria-labelledby="cluster-title">
      <div class="toolbar">
        <h1 id="cluster-title">Cluster</h1>
        <p class={`stream ${stream}`} role="status" aria-live="polite">
          <span class="dot" aria-hidden="true" /> {STATE_TEXT[stream]}
        </p>
      </div>
      <dl class="summary">
        <div>
          <dt>Config version</dt>
          <dd data-testid="latest-version">{state.latest.version}</dd>
        </div>
        <div>
          <dt>Hash</dt>
          <dd class="mono">{state.latest.hash.slice(0, 12)}</dd>
        </div>
        <div>
          <dt>Data planes connected</dt>
          <dd data-testid="connected-count">{connected.length}</dd>
        </div>
      </dl>

      <h2>Data planes</h2>
      <div class="table-wrap">
        <table data-testid="data-planes">
          <thead>
            <tr>
              <th scope="col">Hostname</th>
              <th scope="col">Status</th>
              <th scope="col">Version</th>
              <th scope="col">Config version</th>
              <th scope="col">Hash</th>
              <th scope="col">Lag</th>
              <th scope="col">Last seen</th>
              <th scope="col">Last NACK</th>
            </tr>
          </thead>
          <tbody>
            {state.dataPlanes.length === 0 ? (
              <tr>
                <td colSpan={8} class="muted">
                  No data plane has connected.
                </td>
              </tr>
            ) : null}
            {state.dataPlanes.map((dp) => (
              <tr key={dp.id} data-node={dp.id} class={dp.connected ? '' : 'offline'}>
                <th scope="row">
                  {dp.hostname}
                  <span class="muted mono small"> {dp.id.slice(0, 8)}</span>
                </th>
                <td>
                  <span class={`badge ${dp.connected ? dp.sync_status : 'offline'}`}>
                    {dp.connected ? dp.sync_status : 'offline'}
                  </span>
                </td>
                <td>{dp.version}</td>
                <td>{dp.config_version}</td>
                <td class="mono">{dp.config_hash.slice(0, 12)}</td>
                <td>{lag(state, dp)}</td>
                <td>{ago(dp.last_seen, now)}</td>
                <td class="error-text">
                  {dp.last_error_code ? <span class="mono small">{dp.last_error_code} </span> : null}
                  {dp.last_error}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div class="columns">
        <section aria-labelledby="timeline-title">
          <h2 id="timeline-title">Config versions</h2>
          <ol class="timeline">
            {timeline.length === 0 ? <li class="muted">No change recorded yet.</li> : null}
            {timeline.map((entry) => {
              const pending = connected.filter(
                (d) => entry.reached[d.id] === undefined && d.config_version < entry.version,
              );
              return (
                <li key={entry.version}>
                  <p>
                    <strong>v{entry.version}</strong>{' '}
                    <time dateTime={new Date(entry.at).toISOString()}>
                      {new Date(entry.at).toLocaleTimeString()}
                    </time>
                  </p>
                  <ul class="changes">
                    {entry.changes.map((c) => (
                      <li key={`${c.entity}:${c.id}:${c.op}`}>
                        <span class={`op ${c.op}`}>{c.op === 'delete' ? 'deleted' : 'written'}</span>{' '}
                        {c.entity} <span class="mono">{c.id.slice(0, 8)}</span>
                      </li>
                    ))}
                    {entry.total_changes > entry.changes.length ? (
                      <li class="muted">and {entry.total_changes - entry.changes.length} more</li>
                    ) : null}
                  </ul>
                  <p class="reach">
                    {Object.entries(entry.reached).map(([id, ms]) => (
                      <span key={id} class="reached">
                        {hostOf.get(id) ?? id.slice(0, 8)}: {ms} ms
                      </span>
                    ))}
                    {pending.map((d) => (
                      <span key={d.id} class="pending">
                        {d.hostname}: pending
                      </span>
                    ))}
                  </p>
                </li>
              );
            })}
          </ol>
        </section>
        <section aria-labelledby="events-title">
          <h2 id="events-title">Events</h2>
          <ol class="events" aria-live="polite" data-testid="events">
            {state.log.map((line) => (
              <li key={`${line.at}:${line.text}`}>
                <time dateTime={new Date(line.at).toISOString()}>
                  {new Date(line.at).toLocaleTimeString()}
                </time>{' '}
                {line.text}
              </li>
            ))}
          </ol>
        </section>
      </div>
    </section>
  );
}
