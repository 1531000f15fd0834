/** Kong 3.10's request-transformer access.lua: headers, query string and body, in Kong's order of operations. */
import type { PluginContext } from '@turnpike/plugin-sdk';
import { type Args, appendValue, decodeArgs, encodeArgs } from './args.ts';
import type { Compiled, Entry, Ops } from './compile.ts';
import { Multipart } from './multipart.ts';
import { render, type TemplateEnv } from './template.ts';

/** The template environment: the client's request as received (Kong's kong.request.*). */
export function templateEnv(ctx: PluginContext): TemplateEnv {
  const request = ctx.request;
  return {
    header: (name) => request.header(name),
    query: (name) => request.query.get(name) ?? undefined,
    captures: request.uriCaptures,
  };
}

function rendered(entry: Entry, env: TemplateEnv): string | undefined {
  return entry.value === undefined ? undefined : render(entry.value, env);
}

/** transform_headers: names compared without case; Host only by replace. */
export function transformHeaders(ctx: PluginContext, ops: Ops, env: TemplateEnv): void {
  if (!ops.any) return;
  /** lowercase name → the name to send and its values (undefined: removed), for touched headers only. */
  const touched = new Map<string, { name: string; values: string[] | undefined }>();
  const current = (lower: string): string[] | undefined => {
    const t = touched.get(lower);
    if (t !== undefined) return t.values;
    if (lower === 'host') return undefined;
    const v = ctx.request.header(lower);
    return v === undefined ? undefined : [v];
  };
  const set = (name: string, values: string[] | undefined) =>
    touched.set(name.toLowerCase(), { name, values });
  for (const { name } of ops.remove) if (current(name.toLowerCase()) !== undefined) set(name, undefined);
  for (const entry of ops.rename) {
    const to = rendered(entry, env);
    const values = current(entry.name.toLowerCase());
    if (to === undefined || values === undefined) continue;
    set(entry.name, undefined);
    set(to, values);
  }
  for (const entry of ops.replace) {
    const lower = entry.name.toLowerCase();
    const value = rendered(entry, env);
    if (value !== undefined && (current(lower) !== undefined || lower === 'host')) set(lower, [value]);
  }
  for (const entry of ops.add) {
    const lower = entry.name.toLowerCase();
    const value = rendered(entry, env);
    if (value !== undefined && current(lower) === undefined && lower !== 'host') set(entry.name, [value]);
  }
  for (const entry of ops.append) {
    const lower = entry.name.toLowerCase();
    const value = rendered(entry, env);
    if (value === undefined || lower === 'host') continue;
    set(entry.name, [...(current(lower) ?? []), value]);
  }
  for (const { name, values } of touched.values()) {
    if (values === undefined) ctx.clearUpstreamHeader(name);
    else ctx.setUpstreamHeader(name, values.join(', '));
  }
}

/** Kong's truthiness of a table field: absent, false (and, for form fields, nothing else) are false. */
const present = (v: unknown): boolean => v !== undefined && v !== false;

/** The remove/rename/replace/add/append of a name → value table (query strings and bodies). */
function transformTable(
  table: Map<string, unknown>,
  ops: Ops,
  env: TemplateEnv,
  hasContent: boolean,
): boolean {
  let changed = false;
  if (hasContent) {
    for (const { name } of ops.remove) {
      table.delete(name);
      changed = true;
    }
    for (const entry of ops.rename) {
      const to = rendered(entry, env);
      if (to === undefined || to === entry.name || !present(table.get(entry.name))) continue;
      table.set(to, table.get(entry.name));
      table.delete(entry.name);
      changed = true;
    }
    for (const entry of ops.replace) {
      if (!present(table.get(entry.name))) continue;
      table.set(entry.name, rendered(entry, env));
      changed = true;
    }
  }
  for (const entry of ops.add) {
    if (present(table.get(entry.name))) continue;
    table.set(entry.name, rendered(entry, env));
    changed = true;
  }
  for (const entry of ops.append) {
    table.set(entry.name, appendValue(table.get(entry.name), rendered(entry, env)));
    changed = true;
  }
  return changed;
}

/** transform_querystrings (after transform_method, whose GET-from-form arguments it builds on). */
export function transformQuery(ctx: PluginContext, ops: Ops, env: TemplateEnv, base: Args | undefined): void {
  if (!ops.any && base === undefined) return;
  const args = base ?? decodeArgs(ctx.request.query.toString());
  if (ops.any) transformTable(args as Map<string, unknown>, ops, env, true);
  ctx.setUpstreamQuery(encodeArgs(args, true));
}

type Kind = 'json' | 'multi_part' | 'form_encoded' | undefined;

export function kindOf(contentType: string | undefined): Kind {
  const type = contentType?.toLowerCase();
  if (type === undefined) return undefined;
  if (type.includes('application/json')) return 'json';
  if (type.includes('multipart/form-data')) return 'multi_part';
  if (type.includes('application/x-www-form-urlencoded')) return 'form_encoded';
  return undefined;
}

function jsonBody(body: Buffer, ops: Ops, env: TemplateEnv): string | undefined {
  let parsed: unknown = {};
  if (body.length > 0) {
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const table = new Map(Object.entries(parsed));
  return transformTable(table, ops, env, body.length > 0)
    ? JSON.stringify(Object.fromEntries(table))
    : undefined;
}

function formBody(body: Buffer, ops: Ops, env: TemplateEnv): string | undefined {
  const table = decodeArgs(body.toString('utf8')) as Map<string, unknown>;
  return transformTable(table, ops, env, body.length > 0) ? encodeArgs(table as Args, false) : undefined;
}

function multipartBody(body: Buffer, contentType: string, ops: Ops, env: TemplateEnv): Buffer | undefined {
  const parts = Multipart.parse(body, contentType);
  if (parts === undefined) return undefined;
  let changed = false;
  if (body.length > 0) {
    for (const entry of ops.rename) {
      const to = rendered(entry, env);
      const value = parts.value(entry.name);
      if (to === undefined || value === undefined || to === entry.name) continue;
      parts.setSimple(to, value);
      parts.delete(entry.name);
      changed = true;
    }
    for (const { name } of ops.remove) {
      parts.delete(name);
      changed = true;
    }
    for (const entry of ops.replace) {
      if (!parts.has(entry.name)) continue;
      parts.delete(entry.name);
      parts.setSimple(entry.name, rendered(entry, env) ?? '');
      changed = true;
    }
  }
  for (const entry of ops.add) {
    if (parts.has(entry.name)) continue;
    parts.setSimple(entry.name, rendered(entry, env) ?? '');
    changed = true;
  }
  return changed ? parts.toBuffer() : undefined;
}

/** transform_body: the body in its own content type; untouched when nothing changed or it does not parse. */
export async function transformBody(ctx: PluginContext, ops: Ops, env: TemplateEnv): Promise<void> {
  const contentType = ctx.request.header('content-type');
  const kind = kindOf(contentType);
  if (kind === undefined || !ops.any) return;
  const body = await ctx.request.readBody();
  const out =
    kind === 'json'
      ? jsonBody(body, ops, env)
      : kind === 'form_encoded'
        ? formBody(body, ops, env)
        : multipartBody(body, contentType!, ops, env);
  if (out !== undefined) ctx.setUpstreamBody(out);
}

/** transform_method: a GET, HEAD or TRACE takes a form body's fields into its query string. */
export async function transformMethod(ctx: PluginContext, c: Compiled): Promise<Args | undefined> {
  if (c.method === undefined) return undefined;
  ctx.setUpstreamMethod(c.method);
  if (
    !['GET', 'HEAD', 'TRACE'].includes(c.method) ||
    kindOf(ctx.request.header('content-type')) !== 'form_encoded'
  )
    return undefined;
  const fields = decodeArgs((await ctx.request.readBody()).toString('utf8'));
  if (fields.size === 0) return undefined;
  const query = decodeArgs(ctx.request.query.toString());
  for (const [name, value] of fields) {
    const existing = query.get(name);
    if (existing === undefined) query.set(name, value);
    else
      query.set(name, [
        ...(Array.isArray(existing) ? existing : [existing]),
        ...(Array.isArray(value) ? value : [value]),
      ]);
  }
  return query;
}
