/** A collection: filtered by tags on the server (Kong's `?tags=`) and by name here. */
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { Row } from '../api/types.ts';
import { confirmDelete, EntityTable } from '../components/EntityTable.tsx';
import { useSession } from '../context.ts';
import { cellText, type EntityKind } from '../entities.ts';

export function EntityList({ kind }: { kind: EntityKind }) {
  const { client } = useSession();
  const [rows, setRows] = useState<Row[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tags, setTags] = useState('');
  const [appliedTags, setAppliedTags] = useState('');
  const [search, setSearch] = useState('');
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    setRows(undefined);
    setError(undefined);
    client
      .list<Row>(kind.path, appliedTags === '' ? {} : { tags: appliedTags })
      .then((r) => live && setRows(r))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [kind.key, appliedTags, reload]);

  const needle = search.trim().toLowerCase();
  const shown = (rows ?? []).filter((row) => {
    if (needle === '') return true;
    const name = kind.nameField === undefined ? row.id : row[kind.nameField];
    return (
      String(name ?? '')
        .toLowerCase()
        .includes(needle) || row.id.startsWith(needle)
    );
  });

  return (
    <section aria-labelledby="list-title">
      <div class="toolbar">
        <h1 id="list-title">{kind.title}</h1>
        <Link href={`/${kind.key}/new`} class="button primary">
          New {kind.singular}
        </Link>
      </div>
      <form
        class="filters"
        aria-label="Filter"
        onSubmit={(e) => {
          e.preventDefault();
          setAppliedTags(tags.trim());
        }}
      >
        <div class="field">
          <label for="search">Search {kind.nameField ?? 'id'}</label>
          <input id="search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="tags">Tags</label>
          <input
            id="tags"
            type="text"
            placeholder="a,b (all) or a/b (any)"
            value={tags}
            onInput={(e) => setTags(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Filter</button>
      </form>
      {error === undefined ? null : (
        <p class="alert" role="alert">
          {error}
        </p>
      )}
      {rows === undefined && error === undefined ? <p class="muted">Loading…</p> : null}
      {rows !== undefined ? (
        <EntityTable
          rows={shown}
          columns={kind.columns}
          href={(row) => `/${kind.key}/${row.id}`}
          empty={`No ${kind.title.toLowerCase()}.`}
          caption={kind.title}
          onDelete={(row) =>
            confirmDelete(
              () => client.delete(`${kind.path}/${row.id}`),
              `${kind.singular} ${cellText(row, kind.nameField ?? 'id') || row.id}`,
              () => setReload((n) => n + 1),
              setError,
            )
          }
        />
      ) : null}
    </section>
  );
}
