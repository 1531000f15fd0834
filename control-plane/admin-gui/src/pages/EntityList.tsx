/** A collection: filtered by tags on the server (Kong's `?tags=`) and by name here. */
import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError } from '../api/client.ts';
import type { Row } from '../api/types.ts';
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

  const remove = async (row: Row) => {
    if (!window.confirm(`Delete ${kind.singular} ${cellText(row, kind.nameField ?? 'id') || row.id}?`))
      return;
    try {
      await client.delete(`${kind.path}/${row.id}`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

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
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">{kind.title}</caption>
            <thead>
              <tr>
                {kind.columns.map((c) => (
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
              {shown.length === 0 ? (
                <tr>
                  <td colSpan={kind.columns.length + 1} class="muted">
                    No {kind.title.toLowerCase()}.
                  </td>
                </tr>
              ) : null}
              {shown.map((row) => (
                <tr key={row.id}>
                  {kind.columns.map((c, i) => (
                    <td key={c.field}>
                      {i === 0 ? (
                        <Link href={`/${kind.key}/${row.id}`}>
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
                      onClick={() => remove(row)}
                      aria-label={`Delete ${cellText(row, kind.columns[0]?.field ?? 'id') || row.id}`}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
