/**
 * Create or edit one entity with a form drawn from its schema: saves through the Admin API and
 * shows Kong's validation errors at their fields (and above the form those that name none).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';
import { type FieldErrors, formLevelErrors } from '../api/errors.ts';
import type { Row } from '../api/types.ts';
import { useSession } from '../context.ts';
import { rowLabel } from '../entities.ts';
import {
  type FieldSpec,
  fieldsOf,
  isEditable,
  type KongSchema,
  mergeSchemas,
} from '../schema/kong-schema.ts';
import { initialValues, toBody, type Values } from '../schema/values.ts';
import { type ForeignOption, formShows, SchemaForm } from './SchemaForm.tsx';

export interface EntityFormProps {
  /** `/schemas/services`…; several are merged, the later over the earlier (a plugin's over the plugins entity's). */
  readonly schemaPaths: readonly string[];
  /** Where a new entity is POSTed. */
  readonly collectionPath: string;
  /** The entity being edited (PATCHed at `collectionPath/id`). */
  readonly entity?: Row;
  readonly hidden?: ReadonlySet<string>;
  /** Fields always sent (a plugin's name). */
  readonly fixed?: Values;
  readonly submitLabel: string;
  readonly idPrefix: string;
  readonly onSaved: (row: Row) => void;
}

export function EntityForm(props: EntityFormProps) {
  const { client } = useSession();
  const [specs, setSpecs] = useState<FieldSpec[] | undefined>(undefined);
  const [values, setValues] = useState<Values>({});
  const [foreign, setForeign] = useState<Record<string, ForeignOption[]>>({});
  const [errors, setErrors] = useState<FieldErrors | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const hidden = props.hidden ?? new Set<string>();

  useEffect(() => {
    let live = true;
    setSpecs(undefined);
    Promise.all(props.schemaPaths.map((path) => client.get<KongSchema>(path)))
      .then((schemas) => schemas.reduce(mergeSchemas))
      .then(async (schema) => {
        const fields = fieldsOf(schema.fields);
        if (!live) return;
        setSpecs(fields);
        setValues(initialValues(fields, props.entity));
        const references = [
          ...new Set(
            fields
              .filter((s) => s.field.type === 'foreign' && isEditable(s) && !hidden.has(s.name))
              .map((s) => s.field.reference ?? ''),
          ),
        ].filter((r) => r !== '');
        const options: Record<string, ForeignOption[]> = {};
        for (const reference of references) {
          const rows = await client.list<Row>(`/${reference}`).catch(() => [] as Row[]);
          options[reference] = rows.map((r) => ({ id: r.id, label: rowLabel(r) }));
        }
        if (live) setForeign(options);
      })
      .catch((e: unknown) => live && setMessage(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [props.schemaPaths.join(' '), props.entity?.id]);

  if (specs === undefined)
    return message === undefined ? (
      <p class="muted">Loading the form…</p>
    ) : (
      <p class="alert" role="alert">
        {message}
      </p>
    );

  const formErrors = formLevelErrors(errors, (path) => formShows(specs, hidden, path));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors(undefined);
    setMessage(undefined);
    const body = toBody(specs, values, props.entity === undefined ? 'create' : 'edit');
    // Hidden fields are the nested path's to set (a credential's consumer), or fixed (a plugin's name).
    for (const name of hidden) delete body[name];
    Object.assign(body, props.fixed);
    try {
      const saved =
        props.entity === undefined
          ? await client.post<Row>(props.collectionPath, body)
          : await client.patch<Row>(`${props.collectionPath}/${props.entity.id}`, body);
      props.onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.body.fields);
        setMessage(err.body.message ?? `The Admin API answered ${err.status}`);
      } else {
        setMessage(err instanceof Error ? err.message : String(err));
      }
      // Keyboard users land on the first field in error, else on the message.
      requestAnimationFrame(() => {
        const first = document.querySelector<HTMLElement>(`#${props.idPrefix}-form [aria-invalid="true"]`);
        (first ?? document.getElementById(`${props.idPrefix}-message`))?.focus();
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form id={`${props.idPrefix}-form`} class="entity-form" onSubmit={submit} noValidate>
      {message === undefined ? null : (
        <div class="alert" role="alert" id={`${props.idPrefix}-message`} tabIndex={-1}>
          <p>{message}</p>
          {formErrors.length === 0 ? null : (
            <ul>
              {formErrors.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      <SchemaForm
        specs={specs}
        values={values}
        onChange={setValues}
        errors={errors}
        hidden={hidden}
        foreign={foreign}
        idPrefix={props.idPrefix}
      />
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
