/**
 * A form drawn from a Kong schema document: one input per field, nested records as fieldsets,
 * and Kong's validation message under the field it names (aria-invalid + aria-describedby).
 */
import type { FieldErrors } from '../api/errors.ts';
import { errorAt } from '../api/errors.ts';
import { type FieldSpec, fieldsOf, isEditable, isLongText } from '../schema/kong-schema.ts';
import { listText, mapText, parseList, parseMap, parseNumber, setAt, type Values } from '../schema/values.ts';

export interface ForeignOption {
  readonly id: string;
  readonly label: string;
}

export interface SchemaFormProps {
  readonly specs: readonly FieldSpec[];
  readonly values: Values;
  readonly onChange: (values: Values) => void;
  readonly errors: FieldErrors | undefined;
  /** Top-level fields not shown (the parent a nested form belongs to, a plugin's name…). */
  readonly hidden?: ReadonlySet<string>;
  /** Choices for foreign keys, by referenced entity. */
  readonly foreign?: Readonly<Record<string, readonly ForeignOption[]>>;
  readonly idPrefix: string;
}

interface FieldProps {
  readonly spec: FieldSpec;
  readonly path: readonly string[];
  readonly value: unknown;
  readonly set: (path: readonly string[], value: unknown) => void;
  readonly errors: FieldErrors | undefined;
  readonly foreign: Readonly<Record<string, readonly ForeignOption[]>>;
  readonly idPrefix: string;
}

function label(name: string): string {
  return name.replaceAll('_', ' ');
}

function hint(spec: FieldSpec): string | undefined {
  const { field } = spec;
  if (field.type === 'boolean') return undefined;
  const parts: string[] = [];
  if (field.between !== undefined) parts.push(`${field.between[0]}–${field.between[1]}`);
  if ((field.type === 'array' || field.type === 'set') && field.elements?.one_of === undefined) {
    parts.push(
      field.elements?.type !== 'string' ? 'JSON' : spec.name === 'tags' ? 'comma-separated' : 'one per line',
    );
  }
  if (field.type === 'map') parts.push('one "name: value" per line');
  if (field.default !== undefined && field.default !== null && typeof field.default !== 'object')
    parts.push(`default ${String(field.default)}`);
  return parts.length === 0 ? undefined : parts.join(' · ');
}

function Input(
  props: FieldProps & {
    readonly id: string;
    readonly describedBy: string | undefined;
    readonly invalid: boolean;
  },
) {
  const { spec, path, value, set, id } = props;
  const { field } = spec;
  const aria = {
    id,
    'aria-invalid': props.invalid,
    'aria-describedby': props.describedBy,
    name: path.join('.'),
  };
  const update = (v: unknown) => set(path, v);

  if (field.type === 'foreign') {
    const options = props.foreign[field.reference ?? ''] ?? [];
    const current = typeof value === 'object' && value !== null ? ((value as { id?: string }).id ?? '') : '';
    return (
      <select
        {...aria}
        value={current}
        onChange={(e) => update(e.currentTarget.value === '' ? null : { id: e.currentTarget.value })}
      >
        <option value="">(none)</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
    );
  }
  if (
    (field.type === 'string' || field.type === 'integer' || field.type === 'number') &&
    field.one_of !== undefined
  ) {
    const numeric = field.type !== 'string';
    return (
      <select
        {...aria}
        value={value === null || value === undefined ? '' : String(value)}
        onChange={(e) => {
          const v = e.currentTarget.value;
          update(v === '' ? null : numeric ? Number(v) : v);
        }}
      >
        {field.required === true && value !== null && value !== undefined ? null : (
          <option value="">(unset)</option>
        )}
        {field.one_of.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  }
  if (field.type === 'boolean') {
    if (field.required !== true && (field.default === undefined || field.default === null)) {
      return (
        <select
          {...aria}
          value={value === true ? 'true' : value === false ? 'false' : ''}
          onChange={(e) => {
            const v = e.currentTarget.value;
            update(v === '' ? null : v === 'true');
          }}
        >
          <option value="">(unset)</option>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      );
    }
    return (
      <input
        {...aria}
        type="checkbox"
        checked={value === true}
        onChange={(e) => update(e.currentTarget.checked)}
      />
    );
  }
  if (field.type === 'integer' || field.type === 'number') {
    return (
      <input
        {...aria}
        type="text"
        inputMode="decimal"
        value={value === null || value === undefined ? '' : String(value)}
        onInput={(e) => update(parseNumber(e.currentTarget.value))}
      />
    );
  }
  if ((field.type === 'array' || field.type === 'set') && field.elements?.one_of !== undefined) {
    const chosen = new Set(Array.isArray(value) ? value.map(String) : []);
    return (
      <fieldset class="choices" aria-labelledby={`${id}-label`} aria-describedby={props.describedBy}>
        {field.elements.one_of.map((o) => (
          <label key={String(o)} class="choice">
            <input
              type="checkbox"
              name={`${path.join('.')}[]`}
              checked={chosen.has(String(o))}
              onChange={(e) => {
                const next = new Set(chosen);
                if (e.currentTarget.checked) next.add(String(o));
                else next.delete(String(o));
                update(field.elements?.one_of?.filter((x) => next.has(String(x))) ?? []);
              }}
            />
            {String(o)}
          </label>
        ))}
      </fieldset>
    );
  }
  if ((field.type === 'array' || field.type === 'set') && field.elements?.type === 'string') {
    if (spec.name === 'tags') {
      return (
        <input
          {...aria}
          type="text"
          value={listText(value, 'comma')}
          onChange={(e) => update(parseList(e.currentTarget.value, 'comma'))}
        />
      );
    }
    return (
      <textarea
        {...aria}
        rows={2}
        value={listText(value, 'line')}
        onChange={(e) => update(parseList(e.currentTarget.value, 'line'))}
      />
    );
  }
  if (field.type === 'map' && field.values?.type !== 'record') {
    return (
      <textarea
        {...aria}
        rows={2}
        value={mapText(value)}
        onChange={(e) => update(parseMap(e.currentTarget.value, field))}
      />
    );
  }
  if (field.type === 'string') {
    if (isLongText(spec)) {
      return (
        <textarea
          {...aria}
          rows={6}
          class="mono"
          value={typeof value === 'string' ? value : ''}
          onInput={(e) => update(e.currentTarget.value)}
        />
      );
    }
    return (
      <input
        {...aria}
        type="text"
        autoComplete="off"
        value={typeof value === 'string' ? value : ''}
        onInput={(e) => update(e.currentTarget.value)}
      />
    );
  }
  // Anything else (arrays of records, abstract records…): JSON, as the Admin API takes it.
  return <JsonInput {...aria} value={value} onValue={update} />;
}

function JsonInput(props: {
  id: string;
  value: unknown;
  onValue: (v: unknown) => void;
  name: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}) {
  const { value, onValue, ...aria } = props;
  return (
    <textarea
      {...aria}
      rows={3}
      class="mono"
      value={value === null || value === undefined ? '' : JSON.stringify(value, null, 2)}
      onChange={(e) => {
        const text = e.currentTarget.value.trim();
        if (text === '') return onValue(null);
        try {
          onValue(JSON.parse(text));
        } catch {
          onValue(text);
        }
      }}
    />
  );
}

function Field(props: FieldProps) {
  const { spec, path, idPrefix } = props;
  const id = `${idPrefix}-${path.join('-')}`;
  const error = errorAt(props.errors, path);
  if (spec.field.type === 'record' && spec.field.fields !== undefined) {
    const nested = fieldsOf(spec.field.fields).filter(isEditable);
    const values = (props.value ?? {}) as Values;
    return (
      <fieldset class="record">
        <legend>{label(spec.name)}</legend>
        {nested.map((child) => (
          <Field
            key={child.name}
            {...props}
            spec={child}
            path={[...path, child.name]}
            value={values[child.name]}
          />
        ))}
      </fieldset>
    );
  }
  const help = hint(spec);
  const describedBy = [
    error === undefined ? undefined : `${id}-error`,
    help === undefined ? undefined : `${id}-hint`,
  ]
    .filter((x) => x !== undefined)
    .join(' ');
  const inline = spec.field.type === 'boolean' && spec.field.required === true;
  return (
    <div
      class={`field${error === undefined ? '' : ' has-error'}${inline ? ' inline' : ''}`}
      data-field={path.join('.')}
    >
      <label for={id} id={`${id}-label`}>
        {label(spec.name)}
        {spec.field.required === true && spec.field.default === undefined ? (
          <span class="required" aria-hidden="true">
            {' '}
            *
          </span>
        ) : null}
      </label>
      <Input
        {...props}
        id={id}
        describedBy={describedBy === '' ? undefined : describedBy}
        invalid={error !== undefined}
      />
      {help === undefined ? null : (
        <p class="hint" id={`${id}-hint`}>
          {help}
        </p>
      )}
      {error === undefined ? null : (
        <p class="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

export function SchemaForm(props: SchemaFormProps) {
  const specs = props.specs.filter((s) => isEditable(s) && !(props.hidden?.has(s.name) ?? false));
  const set = (path: readonly string[], value: unknown) => props.onChange(setAt(props.values, path, value));
  return (
    <div class="schema-form">
      {specs.map((spec) => (
        <Field
          key={spec.name}
          spec={spec}
          path={[spec.name]}
          value={props.values[spec.name]}
          set={set}
          errors={props.errors}
          foreign={props.foreign ?? {}}
          idPrefix={props.idPrefix}
        />
      ))}
    </div>
  );
}

/** Whether the form shows a field at `path` (for errors that must be listed above it instead). */
export function formShows(
  specs: readonly FieldSpec[],
  hidden: ReadonlySet<string>,
  path: readonly string[],
): boolean {
  const [head, ...rest] = path;
  const spec = specs.find((s) => s.name === head);
  if (spec === undefined || !isEditable(spec) || hidden.has(spec.name)) return false;
  if (rest.length === 0) return true;
  return spec.field.type === 'record' && formShows(fieldsOf(spec.field.fields), new Set(), rest);
}
