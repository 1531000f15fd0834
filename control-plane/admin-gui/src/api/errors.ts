/** Kong's error bodies and where their `fields` point. */

/** Kong's nested field errors: a message per field, nested records and array elements alike. */
export type FieldErrors = { readonly [field: string]: FieldError };
export type FieldError = string | null | readonly FieldError[] | FieldErrors;

export interface KongErrorBody {
  readonly message?: string;
  readonly name?: string;
  readonly code?: number;
  readonly fields?: FieldErrors;
  readonly flattened_errors?: readonly {
    readonly entity_type?: string;
    readonly entity_name?: string;
    readonly errors?: readonly { readonly field?: string; readonly message?: string }[];
  }[];
}

/** Every message under an error value, flattened: an array field's per-element errors included. */
export function messagesOf(error: FieldError | undefined): string[] {
  if (error === undefined || error === null) return [];
  if (typeof error === 'string') return [error];
  if (Array.isArray(error)) return (error as readonly FieldError[]).flatMap(messagesOf);
  return Object.entries(error as FieldErrors).flatMap(([k, v]) => messagesOf(v).map((m) => `${k}: ${m}`));
}

/** The error Kong gives for the field at `path` (record fields nest), as one line of text. */
export function errorAt(fields: FieldErrors | undefined, path: readonly string[]): string | undefined {
  let node: FieldError | undefined = fields;
  for (const segment of path) {
    if (node === undefined || node === null || typeof node === 'string' || Array.isArray(node))
      return undefined;
    node = (node as FieldErrors)[segment];
  }
  if (node === undefined || node === null) return undefined;
  // A record's own errors are shown at its fields; only a message for the record itself is its.
  if (typeof node === 'object' && !Array.isArray(node)) return undefined;
  const messages = messagesOf(node);
  return messages.length === 0 ? undefined : messages.join('; ');
}

/** Errors that name no field of the form: `@entity` checks and fields the form does not show. */
export function formLevelErrors(
  fields: FieldErrors | undefined,
  shown: (path: readonly string[]) => boolean,
): string[] {
  if (fields === undefined) return [];
  const out: string[] = [];
  const walk = (node: FieldErrors, path: string[]) => {
    for (const [key, value] of Object.entries(node)) {
      const here = [...path, key];
      if (key === '@entity') out.push(...messagesOf(value));
      else if (value !== null && typeof value === 'object' && !Array.isArray(value))
        walk(value as FieldErrors, here);
      else if (!shown(here)) out.push(`${here.join('.')}: ${messagesOf(value).join('; ')}`);
    }
  };
  walk(fields, []);
  return out;
}
