/**
 * The whole configuration as a declarative file: export it as kong.yml, or import one — first
 * a preview of what it would create, change and delete (`POST /config/diff`), then `POST /config`.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';
import type { KongErrorBody } from '../api/errors.ts';
import { useSession } from '../context.ts';

interface DiffItem {
  readonly entity: string;
  readonly id: string;
  readonly name?: string;
  readonly fields?: readonly string[];
}

interface Diff {
  readonly created: readonly DiffItem[];
  readonly changed: readonly DiffItem[];
  readonly deleted: readonly DiffItem[];
  readonly unchanged: number;
}

function problems(body: KongErrorBody): string[] {
  return (body.flattened_errors ?? []).flatMap((e) =>
    (e.errors ?? []).map(
      (x) =>
        `${e.entity_type ?? ''} ${e.entity_name ?? ''}: ${x.field === undefined ? '' : `${x.field}: `}${x.message ?? ''}`,
    ),
  );
}

function DiffList({ title, items, kind }: { title: string; items: readonly DiffItem[]; kind: string }) {
  return (
    <section class={`diff ${kind}`} aria-labelledby={`diff-${kind}`}>
      <h3 id={`diff-${kind}`}>
        {title} ({items.length})
      </h3>
      <ul data-testid={`diff-${kind}`}>
        {items.map((i) => (
          <li key={`${i.entity}:${i.id}`}>
            {i.entity} <strong>{i.name ?? i.id.slice(0, 8)}</strong>
            {i.fields === undefined ? null : <span class="muted"> ({i.fields.join(', ')})</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Declarative() {
  const { client } = useSession();
  const [exported, setExported] = useState<string | undefined>(undefined);
  const [text, setText] = useState('');
  const [diff, setDiff] = useState<Diff | undefined>(undefined);
  const [error, setError] = useState<{ message: string; details: string[] } | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const fail = (e: unknown) => {
    if (e instanceof ApiError) setError({ message: e.message, details: problems(e.body) });
    else setError({ message: e instanceof Error ? e.message : String(e), details: [] });
  };

  const exportFile = async () => {
    setError(undefined);
    try {
      const { config } = await client.get<{ config: string }>('/config');
      setExported(config);
      const url = URL.createObjectURL(new Blob([config], { type: 'application/yaml' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'kong.yml';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      fail(e);
    }
  };

  const preview = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    setDiff(undefined);
    try {
      setDiff(await client.post<Diff>('/config/diff?flatten_errors=1', { config: text }));
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const apply = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await client.post('/config?flatten_errors=1', { config: text });
      setDone(
        `Imported: ${diff?.created.length ?? 0} created, ${diff?.changed.length ?? 0} changed, ${diff?.deleted.length ?? 0} deleted.`,
      );
      setDiff(undefined);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="declarative-title">
      <h1 id="declarative-title">Declarative configuration</h1>
      <section aria-labelledby="export-title" class="card">
        <h2 id="export-title">Export</h2>
        <p class="muted">
          The whole configuration as a kong.yml file (_format_version 3.0), secrets included.
        </p>
        <button type="button" onClick={exportFile}>
          Export kong.yml
        </button>
        {exported === undefined ? null : (
          <pre class="yaml" data-testid="exported">
            {exported}
          </pre>
        )}
      </section>
      <section aria-labelledby="import-title" class="card">
        <h2 id="import-title">Import</h2>
        <p class="muted">
          Replaces the whole configuration: what the file does not name is deleted. You see what changes
          before anything is written.
        </p>
        <form onSubmit={preview}>
          <div class="field">
            <label for="import-file">File</label>
            <input
              id="import-file"
              type="file"
              accept=".yml,.yaml,.json,application/yaml,application/json"
              onChange={async (e) => {
                const file = e.currentTarget.files?.[0];
                if (file !== undefined) setText(await file.text());
                setDiff(undefined);
              }}
            />
          </div>
          <div class="field">
            <label for="import-text">Or paste it</label>
            <textarea
              id="import-text"
              class="mono"
              rows={10}
              value={text}
              onInput={(e) => {
                setText(e.currentTarget.value);
                setDiff(undefined);
              }}
            />
          </div>
          <button type="submit" disabled={busy || text.trim() === ''}>
            Preview changes
          </button>
        </form>
        {error === undefined ? null : (
          <div class="alert" role="alert">
            <p>{error.message}</p>
            {error.details.length === 0 ? null : (
              <ul>
                {error.details.map((d) => (
                  <li key={d}>{d}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        {done === undefined ? null : (
          <p class="notice" role="status">
            {done}
          </p>
        )}
        {diff === undefined ? null : (
          <div class="diff-preview" data-testid="diff-preview">
            <h3 class="visually-hidden">Preview</h3>
            <div class="columns">
              <DiffList title="Created" items={diff.created} kind="created" />
              <DiffList title="Changed" items={diff.changed} kind="changed" />
              <DiffList title="Deleted" items={diff.deleted} kind="deleted" />
            </div>
            <p class="muted">{diff.unchanged} unchanged.</p>
            <button type="button" class="primary" disabled={busy} onClick={apply}>
              Apply this import
            </button>
          </div>
        )}
      </section>
    </section>
  );
}
