/**
 * Cross-field rules, Kong's Schema.entity_checkers with its running conditions: which fields a
 * check needs, whether it runs when some are missing (partial updates) or already invalid.
 * Failures go to `errors['@entity']`; some checks also set the field they blame.
 */
import type { FieldErrors } from '../errors.ts';
import { isNonEmpty, validateField } from './field.ts';
import { MSG, quotedList } from './messages.ts';
import { isReference } from './reference.ts';
import type { EntityCheck, FieldDescriptor, FieldMap } from './types.ts';

export interface CheckContext {
  readonly fields: FieldMap;
  readonly fullCheck: boolean;
  readonly updating: boolean;
}

/** Gets `a.b.c` from nested objects. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (typeof cur[part] !== 'object' || cur[part] === null) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

export function getSchemaField(fields: FieldMap, path: string): FieldDescriptor | undefined {
  const [head, ...rest] = path.split('.');
  const field = fields[head!];
  if (rest.length === 0 || field === undefined) return field;
  return field.type === 'record' ? getSchemaField(field.fields, rest.join('.')) : undefined;
}

function pushEntityError(errors: FieldErrors, message: string): void {
  const list = errors['@entity'];
  if (Array.isArray(list)) list.push(message);
  else errors['@entity'] = [message];
}

function matches(
  ctx: CheckContext,
  fieldName: string,
  match: Partial<FieldDescriptor>,
  value: unknown,
): boolean {
  const base = getSchemaField(ctx.fields, fieldName);
  return validateField({ ...base, ...match } as FieldDescriptor, value) === undefined;
}

interface Plan {
  readonly sources: readonly string[];
  readonly required: readonly string[];
  readonly runWithMissing: boolean;
  readonly runWithInvalid: boolean;
}

function planOf(check: EntityCheck): Plan {
  if ('at_least_one_of' in check) {
    const f = check.at_least_one_of;
    return { sources: f, required: f, runWithMissing: true, runWithInvalid: true };
  }
  if ('only_one_of' in check) {
    const f = check.only_one_of;
    return { sources: f, required: f, runWithMissing: false, runWithInvalid: true };
  }
  if ('distinct' in check) {
    const f = check.distinct;
    return { sources: f, required: f, runWithMissing: false, runWithInvalid: true };
  }
  if ('mutually_required' in check) {
    const f = check.mutually_required;
    return { sources: f, required: f, runWithMissing: true, runWithInvalid: false };
  }
  if ('mutually_exclusive' in check) {
    const f = check.mutually_exclusive;
    return { sources: f, required: f, runWithMissing: true, runWithInvalid: false };
  }
  if ('conditional' in check) {
    const c = check.conditional;
    return {
      sources: [c.if_field, c.then_field],
      required: [c.if_field],
      runWithMissing: false,
      runWithInvalid: true,
    };
  }
  if ('conditional_at_least_one_of' in check) {
    const c = check.conditional_at_least_one_of;
    const sources = [c.if_field, ...c.then_at_least_one_of, ...(c.else_then_at_least_one_of ?? [])];
    return { sources, required: [], runWithMissing: true, runWithInvalid: true };
  }
  const f = check.custom_entity_check.field_sources;
  return { sources: f, required: f, runWithMissing: false, runWithInvalid: false };
}

/** Runs the check itself on the projection of the entity; returns the message, if any. */
function runCheck(
  check: EntityCheck,
  entity: Record<string, unknown>,
  ctx: CheckContext,
  errors: FieldErrors,
): string | undefined {
  const nonEmpty = (names: readonly string[]) => names.filter((n) => isNonEmpty(getPath(entity, n)));
  if ('at_least_one_of' in check) {
    const names = check.at_least_one_of;
    return nonEmpty(names).length > 0 ? undefined : MSG.atLeastOneOf(quotedList(names), ctx.updating);
  }
  if ('only_one_of' in check) {
    const names = check.only_one_of;
    return nonEmpty(names).length === 1 ? undefined : MSG.onlyOneOf(quotedList(names));
  }
  if ('distinct' in check) {
    const values = check.distinct.map((n) => getPath(entity, n)).filter(isNonEmpty);
    return new Set(values).size === values.length ? undefined : MSG.distinct(quotedList(check.distinct));
  }
  if ('mutually_required' in check) {
    const n = nonEmpty(check.mutually_required).length;
    const ok = n === 0 || n === check.mutually_required.length;
    return ok ? undefined : MSG.mutuallyRequired(quotedList(check.mutually_required));
  }
  if ('mutually_exclusive' in check) {
    const ok = nonEmpty(check.mutually_exclusive).length <= 1;
    return ok ? undefined : MSG.mutuallyExclusive(quotedList(check.mutually_exclusive));
  }
  if ('conditional' in check) {
    const c = check.conditional;
    const thenValue = getPath(entity, c.then_field) ?? null;
    if (!matches(ctx, c.if_field, c.if_match, getPath(entity, c.if_field))) return undefined;
    if (c.then_match.required === true && thenValue === null) {
      setPath(errors, c.then_field, MSG.REQUIRED);
      return MSG.conditional(c.if_field);
    }
    const base = getSchemaField(ctx.fields, c.then_field);
    const err = validateField({ ...base, ...c.then_match } as FieldDescriptor, thenValue);
    if (err === undefined) return undefined;
    setPath(errors, c.then_field, err);
    return c.then_err ?? MSG.conditional(c.if_field);
  }
  if ('conditional_at_least_one_of' in check) {
    const c = check.conditional_at_least_one_of;
    const ifValue = getPath(entity, c.if_field);
    if (ifValue === undefined) return undefined;
    let names = c.then_at_least_one_of;
    let template = c.then_err;
    if (!matches(ctx, c.if_field, c.if_match, ifValue)) {
      if (c.else_match === undefined || !matches(ctx, c.if_field, c.else_match, ifValue)) return undefined;
      names = c.else_then_at_least_one_of ?? [];
      template = c.else_then_err;
    }
    if (nonEmpty(names).length > 0) return undefined;
    const list = quotedList(names);
    return template === undefined ? MSG.atLeastOneOf(list, ctx.updating) : template.replace('%s', list);
  }
  const result = check.custom_entity_check.fn(entity);
  return result === true ? undefined : result;
}

/** Kong's run_entity_check for every check, adding failures to `errors`. */
export function runEntityChecks(
  checks: readonly EntityCheck[],
  input: Record<string, unknown>,
  ctx: CheckContext,
  errors: FieldErrors,
): void {
  nextCheck: for (const check of checks) {
    const plan = planOf(check);
    const projection: Record<string, unknown> = {};
    const missing: string[] = [];
    let allNil = true;
    let allOk = true;
    for (const name of plan.sources) {
      const value = getPath(input, name);
      if (value === undefined) {
        if (!plan.runWithMissing && plan.required.includes(name)) missing.push(name);
      } else {
        allNil = false;
        // Kong: a check over a vault reference cannot judge the value it stands for.
        const field = getSchemaField(ctx.fields, name);
        if (field?.type === 'string' && field.referenceable === true && isReference(value))
          continue nextCheck;
      }
      if (errors[name] !== undefined) allOk = false;
      if (value !== undefined) setPath(projection, name, value);
    }
    if (!allOk && !plan.runWithInvalid) continue;
    // A partial update that touches none of the check's fields leaves it alone.
    if (allNil && !(plan.runWithMissing && ctx.fullCheck)) continue;
    if (missing.length > 0) {
      for (const name of missing) setPath(errors, name, MSG.requiredForEntityCheck(ctx.updating));
      continue;
    }
    const message = runCheck(check, projection, ctx, errors);
    if (message !== undefined) pushEntityError(errors, message);
  }
}
