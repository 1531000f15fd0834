/**
 * An upstream's targets as this node's balancers see them (GET /upstreams/{u}/health): each
 * target's health and addresses, refreshed every few seconds, with buttons that mark a target
 * healthy or unhealthy (PUT …/targets/{t}/healthy|unhealthy). A control plane has no balancers: it
 * lists no health, and the page says so.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';
import { useSession } from '../context.ts';

interface Address {
  readonly ip: string;
  readonly port: number;
  readonly health: string;
}

interface TargetRow {
  readonly id: string;
  readonly target: string;
  readonly health?: string;
  readonly data?: { readonly addresses?: readonly Address[] };
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
          ? 'This node has no balancers (a control plane): health is set on the nodes that proxy.'
          : e instanceof Error
            ? e.message
            : String(e),
      );
    }
  };

  const balanced = rows?.some((r) => r.health !== undefined) ?? false;
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
        <p>This node has no balancers (a control plane): its data planes hold the health of these targets.</p>
      ) : null}
      {rows === undefined || !balanced ? null : (
        <table>
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Health</th>
              <th scope="col">Addresses</th>
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
