/** Entities nested under one parent (a consumer's credentials, an upstream's targets…): list, add, delete. */
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError } from '../api/client.ts';
import type { Row } from '../api/types.ts';
import { useSession } from '../context.ts';
import { type ChildKind, cellText } from '../entities.ts';
import { EntityForm } from './EntityForm.tsx';

export function ChildSection({ parentPath, child }: { parentPath: string; child: ChildKind }) {
  const { client } = useSession();
  const path = `${parentPath}/${child.segment}`;
  const [rows, setRows] = useState<Row[] | undefined>(undefined);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [reload, setReload] = useState(0);
  const headingId = `child-${child.key}`;

  useEffect(() => {
    client
      .list<Row>(path)
      .then(setRows)
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [path, reload]);

  return (
    <section class="child" aria-labelledby={headingId}>
      <div class="toolbar">
        <h2 id={headingId}>{child.title}</h2>
        <button type="button" aria-expanded={adding} onClick={() => setAdding(!adding)}>
          {adding ? 'Cancel' : `Add`}
        </button>
      </div>
      {error === undefined ? null : (
        <p class="alert" role="alert">
          {error}
        </p>
      )}
      {adding ? (
        <EntityForm
          schemaPaths={[`/schemas/${child.schema}`]}
          collectionPath={path}
          hidden={new Set([child.parentField])}
          submitLabel={`Add to ${child.title.toLowerCase()}`}
          idPrefix={`new-${child.key}`}
          onSaved={() => {
            setAdding(false);
            setReload((n) => n + 1);
          }}
        />
      ) : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              {child.columns.map((c) => (
                <th key={c.field} scope="col">
                  {c.title}
                </th>
              ))}
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows?.length === 0 ? (
              <tr>
                <td colSpan={child.columns.length + 1} class="muted">
                  None yet.
                </td>
              </tr>
            ) : null}
            {(rows ?? []).map((row) => (
              <tr key={row.id}>
                {child.columns.map((c, i) => (
                  <td key={c.field}>
                    {i === 0 && child.kind !== undefined ? (
                      <Link href={`/${child.kind}/${row.id}`}>
                        {cellText(row, c.field) || row.id.slice(0, 8)}
                      </Link>
                    ) : (
                      cellText(row, c.field)
                    )}
                  </td>
                ))}
                <td class="actions">
                  <button
                    type="button"
                    class="danger small"
                    onClick={async () => {
                      if (
                        !window.confirm(`Delete ${cellText(row, child.columns[0]?.field ?? 'id') || row.id}?`)
                      )
                        return;
                      try {
                        await client.delete(`${path}/${row.id}`);
                        setReload((n) => n + 1);
                      } catch (e) {
                        setError(e instanceof ApiError ? e.message : String(e));
                      }
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
