/**
 * What text the datastore can hold. PostgreSQL refuses U+0000 in `text` and in `jsonb`
 * (SQLSTATE 22021 / 22P05), and pg writes a lone UTF-16 surrogate as U+FFFD, silently changing
 * the value. So a string with either is refused before any statement runs, with a message in
 * Kong's words for bad UTF-8 (kong/db/schema/typedefs.lua: "invalid utf-8 character sequence
 * detected at position N").
 */
import type { FieldErrors } from '@turnpike/shared';

export const NUL_MESSAGE = 'invalid NUL character';

/** Why PostgreSQL cannot store `value` as it is, or undefined when it can. Positions count from 1. */
export function textProblem(value: string): string | undefined {
  const nul = value.indexOf('\u0000');
  const bad = value.isWellFormed() ? -1 : firstLoneSurrogate(value);
  if (nul === -1 && bad === -1) return undefined;
  if (bad !== -1 && (nul === -1 || bad < nul)) return invalidUtf8At(bad + 1);
  return `${NUL_MESSAGE} detected at position ${nul + 1}`;
}

export function invalidUtf8At(position: number): string {
  return `invalid utf-8 character sequence detected at position ${position}`;
}

function firstLoneSurrogate(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) return i;
  }
  return -1;
}

type Path = readonly (string | number)[];

const MAX_DEPTH = 32;

/** Every string (and object key) in `value` that PostgreSQL cannot hold, with where it is. */
export function findTextProblems(
  value: unknown,
  problemOf: (text: string) => string | undefined = textProblem,
): { path: Path; message: string }[] {
  const out: { path: Path; message: string }[] = [];
  const walk = (node: unknown, path: Path, depth: number) => {
    if (typeof node === 'string') {
      const message = problemOf(node);
      if (message !== undefined) out.push({ path, message });
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    // No entity nests anywhere near this deep; deeper input is refused rather than walked unchecked.
    if (depth >= MAX_DEPTH) {
      out.push({ path, message: `nested deeper than ${MAX_DEPTH} levels` });
      return;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) walk(node[i], [...path, i], depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(node)) {
      const keyProblem = problemOf(key);
      if (keyProblem !== undefined)
        out.push({ path: [...path, key], message: `invalid field name: ${keyProblem}` });
      else walk(item, [...path, key], depth + 1);
    }
  };
  walk(value, [], 0);
  return out;
}

/**
 * The problems as Kong's schema-violation `fields`: nested objects for records, arrays (with
 * nulls at the good positions) for array items.
 */
export function problemFields(problems: readonly { path: Path; message: string }[]): FieldErrors {
  const root: Record<string, unknown> = {};
  for (const { path, message } of problems) {
    if (path.length === 0) {
      root['@entity'] = [message];
      continue;
    }
    let node = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) {
      const step = path[i]!;
      let child = node[step];
      if (typeof child !== 'object' || child === null) {
        child = typeof path[i + 1] === 'number' ? [] : {};
        node[step] = child;
      }
      node = child as Record<string | number, unknown>;
    }
    node[path.at(-1)!] = message;
  }
  fillHoles(root);
  return root as FieldErrors;
}

/** JSON has no holes: unset array slots become null, as Kong's cjson writes them. */
function fillHoles(node: unknown): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      if (node[i] === undefined) node[i] = null;
      else fillHoles(node[i]);
    }
  } else if (typeof node === 'object' && node !== null) {
    for (const child of Object.values(node)) fillHoles(child);
  }
}

/** Whether every string of a key or filter can be stored at all (if not, nothing can match it). */
export function storable(...values: readonly string[]): boolean {
  return values.every((v) => textProblem(v) === undefined);
}
