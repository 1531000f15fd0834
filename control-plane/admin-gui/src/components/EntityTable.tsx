/**
 * Rows of entities with a column per field; the first links to the entity's page, the last
 * edits it in place (when the caller can) and deletes it.
 */
import { Link } from 'wouter-preact';
import type { Row } from '../api/types.ts';
import { type Column, cellText } from '../entities.ts';

export interface EntityTableProps {
  readonly rows: readonly Row[];
  readonly columns: readonly Column[];
  /** The GUI path of an entity's page (`/routes/<id>`), or undefined when it has none. */
  readonly href: ((row: Row) => string) | undefined;
  readonly empty: string;
  readonly caption?: string;
  readonly onDelete: (row: Row) => void;
  /** Edit in place (a nested entity, from its parent's page); no Edit button without it. */
  readonly onEdit?: (row: Row) => void;
  /** The row being edited: its Edit button is pressed. */
  readonly editing?: string;
}

export function EntityTable(props: EntityTableProps) {
  const { columns, href } = props;
  const labelOf = (row: Row) => cellText(row, columns[0]?.field ?? 'id') || row.id.slice(0, 8);
  return (
    <div class="table-wrap">
      <table>
        {props.caption === undefined ? null : <caption class="visually-hidden">{props.caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
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
          {props.rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length + 1} class="muted">
                {props.empty}
              </td>
            </tr>
          ) : null}
          {props.rows.map((row) => (
            <tr key={row.id}>
              {columns.map((c, i) => (
                <td key={c.field}>
                  {i === 0 && href !== undefined ? (
                    <Link href={href(row)}>{labelOf(row)}</Link>
                  ) : (
                    cellText(row, c.field)
                  )}
                </td>
              ))}
              <td class="actions">
                {props.onEdit === undefined ? null : (
                  <button
                    type="button"
                    class="small"
                    aria-pressed={props.editing === row.id}
                    onClick={() => props.onEdit?.(row)}
                    aria-label={`Edit ${labelOf(row)}`}
                  >
                    Edit
                  </button>
                )}
                <button
                  type="button"
                  class="danger small"
                  onClick={() => props.onDelete(row)}
                  aria-label={`Delete ${labelOf(row)}`}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Asks, then deletes and calls `done`; an Admin API refusal goes to `failed`. */
export async function confirmDelete(
  remove: () => Promise<void>,
  label: string,
  done: () => void,
  failed: (message: string) => void,
): Promise<void> {
  if (!window.confirm(`Delete ${label}?`)) return;
  try {
    await remove();
    done();
  } catch (e) {
    failed(e instanceof Error ? e.message : String(e));
  }
}
