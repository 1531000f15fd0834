/** One entity: its form (new or existing) and, once it exists, the entities nested under it. */
import { useEffect, useState } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { ApiError } from '../api/client.ts';
import type { Row } from '../api/types.ts';
import { ChildSection } from '../components/ChildSection.tsx';
import { EntityForm } from '../components/EntityForm.tsx';
import { TargetHealth } from '../components/TargetHealth.tsx';
import { useSession } from '../context.ts';
import { type EntityKind, rowLabel } from '../entities.ts';

export function EntityPage({ kind, id }: { kind: EntityKind; id: string | undefined }) {
  const { client } = useSession();
  const [, navigate] = useLocation();
  const [entity, setEntity] = useState<Row | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const [pluginName, setPluginName] = useState<string | undefined>(undefined);
  const [enabled, setEnabled] = useState<string[]>([]);

  useEffect(() => {
    setEntity(undefined);
    setError(undefined);
    setSaved(false);
    if (id === undefined) {
      if (kind.key === 'plugins') {
        client
          .get<{ enabled_plugins: string[] }>('/plugins/enabled')
          .then((r) => setEnabled([...r.enabled_plugins].sort()))
          .catch((e: unknown) => setError(String(e)));
      }
      return;
    }
    client
      .get<Row>(`${kind.path}/${id}`)
      .then((row) => {
        setEntity(row);
        if (kind.key === 'plugins') setPluginName(String(row.name));
      })
      .catch((e: unknown) =>
        setError(e instanceof ApiError && e.status === 404 ? `No ${kind.singular} ${id}` : String(e)),
      );
  }, [kind.key, id]);

  const title =
    id === undefined
      ? `New ${kind.singular}`
      : entity === undefined
        ? kind.singular
        : `${kind.singular} ${rowLabel(entity)}`;
  const onSaved = (row: Row) => {
    setSaved(true);
    setEntity(row);
    if (id === undefined) navigate(`/${kind.key}/${row.id}`);
  };
  const plugin = kind.key === 'plugins';
  // A plugin's form is the plugins entity's fields with the plugin's own schema over them.
  const schemaPaths = plugin
    ? pluginName === undefined
      ? undefined
      : ['/schemas/plugins', `/schemas/plugins/${pluginName}`]
    : [`/schemas/${kind.schema}`];

  return (
    <section aria-labelledby="entity-title">
      <p class="breadcrumb">
        <Link href={`/${kind.key}`}>{kind.title}</Link>
      </p>
      <h1 id="entity-title">{title}</h1>
      {error === undefined ? null : (
        <p class="alert" role="alert">
          {error}
        </p>
      )}
      {saved ? (
        <p class="notice" role="status">
          Saved.
        </p>
      ) : null}
      {plugin && id === undefined ? (
        <div class="field">
          <label for="plugin-name">Plugin</label>
          <select
            id="plugin-name"
            value={pluginName ?? ''}
            onChange={(e) => setPluginName(e.currentTarget.value || undefined)}
          >
            <option value="">Choose a plugin…</option>
            {enabled.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {schemaPaths !== undefined && (id === undefined || entity !== undefined) ? (
        <EntityForm
          key={`${schemaPaths.join(' ')}:${entity?.id ?? 'new'}`}
          schemaPaths={schemaPaths}
          collectionPath={kind.path}
          {...(entity === undefined ? {} : { entity })}
          hidden={plugin ? new Set(['name']) : new Set()}
          {...(plugin && pluginName !== undefined ? { fixed: { name: pluginName } } : {})}
          submitLabel={id === undefined ? `Create ${kind.singular}` : 'Save'}
          idPrefix={kind.key}
          onSaved={onSaved}
        />
      ) : null}
      {entity === undefined
        ? null
        : kind.children.map((child) => (
            <ChildSection key={child.key} parentPath={`${kind.path}/${entity.id}`} child={child} />
          ))}
      {entity !== undefined && kind.key === 'upstreams' ? (
        <TargetHealth upstreamPath={`${kind.path}/${entity.id}`} />
      ) : null}
    </section>
  );
}
