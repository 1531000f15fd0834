/**
 * Entities nested under one parent (a consumer's credentials, a service's routes, an upstream's
 * targets…): list, add, edit in place (PATCH at the nested path, the parent field kept), delete.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Row } from '../api/types.ts';
import { useSession } from '../context.ts';
import { type ChildKind, cellText } from '../entities.ts';
import { EntityForm } from './EntityForm.tsx';
import { confirmDelete, EntityTable } from './EntityTable.tsx';

export function ChildSection({ parentPath, child }: { parentPath: string; child: ChildKind }) {
  const { client } = useSession();
  const path = `${parentPath}/${child.segment}`;
  const [rows, setRows] = useState<Row[] | undefined>(undefined);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Row | undefined>(undefined);
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
      {editing === undefined ? null : (
        <div class="child-edit">
          <div class="toolbar">
            <h3 id={`${headingId}-edit`}>
              Edit {cellText(editing, child.columns[0]?.field ?? 'id') || editing.id}
            </h3>
            <button type="button" onClick={() => setEditing(undefined)}>
              Cancel edit
            </button>
          </div>
          <EntityForm
            key={editing.id}
            schemaPaths={[`/schemas/${child.schema}`]}
            collectionPath={path}
            entity={editing}
            hidden={new Set([child.parentField])}
            submitLabel="Save changes"
            idPrefix={`edit-${child.key}`}
            onSaved={() => {
              setEditing(undefined);
              setReload((n) => n + 1);
            }}
          />
        </div>
      )}
      <EntityTable
        rows={rows ?? []}
        editing={editing?.id}
        onEdit={(row) => {
          setAdding(false);
          setEditing(editing?.id === row.id ? undefined : row);
        }}
        columns={child.columns}
        href={child.kind === undefined ? undefined : (row) => `/${child.kind}/${row.id}`}
        empty="None yet."
        onDelete={(row) =>
          confirmDelete(
            () => client.delete(`${path}/${row.id}`),
            cellText(row, child.columns[0]?.field ?? 'id') || row.id,
            () => setReload((n) => n + 1),
            setError,
          )
        }
      />
    </section>
  );
}
