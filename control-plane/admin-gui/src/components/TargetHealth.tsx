/**
 * An upstream's targets as the balancers see them (GET /upstreams/{u}/health): each target's
 * health and addresses, refreshed every few seconds, with buttons that mark a target healthy or
 * unhealthy (PUT …/targets/{t}/healthy|unhealthy). On a traditional node that is its proxy
 * workers' view; on a hybrid control plane, the worst of its data planes' reports, with each data
 * plane's own view (`data_planes`) beside it. A control plane none of whose data planes reports
 * the upstream yet lists no health, and the page says so.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';
import { useSession } from '../context.ts';

interface Address {
  readonly ip: string;
  readonly port: number;
  readonly health: string;
}

interface DataPlaneView {
  readonly id: string;
  readonly hostname: string;
  readonly health: string;
}

interface TargetRow {
  readonly id: string;
  readonly target: string;
  readonly health?: string;
  readonly data?: { readonly addresses?: readonly Address[] };
  /** A hybrid control plane's answer: each connected data plane's view. */
  readonly data_planes?: readonly DataPlaneView[];
}

const REFRESH_MS = 3000;

export function TargetHealth({ upstreamPath }: { upstreamPath: string }) {
  const { client } = useSession();
  const [rows, setRows] = useState<readonly TargetRow[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    const load = () =>
      client
        .get<{ data: TargetRow[] }>(`${upstreamPath}/health`)
        .then((body) => live && setRows(body.data))
        .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [upstreamPath, reload]);

  const mark = async (row: TargetRow, state: 'healthy' | 'unhealthy') => {
    setError(undefined);
    try {
      await client.request('PUT', `${upstreamPath}/targets/${encodeURIComponent(row.id)}/${state}`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 404
          ? 'This node has no balancers: health is set on the nodes that proxy.'
          : e instanceof Error
            ? e.message
            : String(e),
      );
    }
  };

  const balanced = rows?.some((r) => r.health !== undefined) ?? false;
  const hybrid = rows?.some((r) => r.data_planes !== undefined) ?? false;
  return (
    <section class="child" aria-labelledby="target-health">
      <div class="toolbar">
        <h2 id="target-health">Target health</h2>
      </div>
      {error === undefined ? null : (
        <p class="alert" role="alert">
          {error}
        </p>
      )}
      {rows !== undefined && rows.length > 0 && !balanced ? (
        <p>
          No data plane reports these targets yet: none is connected, or none runs this upstream's version
          yet.
        </p>
      ) : null}
      {rows === undefined || !balanced ? null : (
        <table>
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Health</th>
              <th scope="col">Addresses</th>
              {hybrid ? <th scope="col">Data planes</th> : null}
              <th scope="col">Set</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-target={row.target}>
                <td>{row.target}</td>
                <td>
                  <span class={`health health-${(row.health ?? '').toLowerCase()}`}>{row.health}</span>
                </td>
                <td>{(row.data?.addresses ?? []).map((a) => `${a.ip}:${a.port} ${a.health}`).join(', ')}</td>
                {hybrid ? (
                  <td class="data-planes">
                    <ul>
                      {(row.data_planes ?? []).map((v) => (
                        <li key={v.id} data-node={v.id} title={v.id}>
                          {v.hostname} ({v.id.slice(0, 8)}):{' '}
                          <span class={`health health-${v.health.toLowerCase()}`}>{v.health}</span>
                        </li>
                      ))}
                    </ul>
                  </td>
                ) : null}
                <td>
                  <button type="button" onClick={() => void mark(row, 'healthy')}>
                    Mark healthy
                  </button>{' '}
                  <button type="button" onClick={() => void mark(row, 'unhealthy')}>
                    Mark unhealthy
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
