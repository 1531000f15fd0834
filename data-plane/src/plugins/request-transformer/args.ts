/** Query strings and url-encoded bodies as ngx.decode_args / ngx.encode_args: name → value or values. */

export type Args = Map<string, string | string[]>;

export function decodeArgs(text: string): Args {
  const out: Args = new Map();
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out.get(k);
    out.set(k, prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]);
  }
  return out;
}

/** ngx.escape_uri: everything but letters, digits and `-._~` percent-encoded. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `sorted`: kong.service.request.set_query orders the arguments by name. */
export function encodeArgs(args: Args, sorted: boolean): string {
  const names = [...args.keys()];
  if (sorted) names.sort();
  const out: string[] = [];
  for (const name of names) {
    const value = args.get(name)!;
    for (const v of Array.isArray(value) ? value : [value]) out.push(`${escapeUri(name)}=${escapeUri(v)}`);
  }
  return out.join('&');
}

/** Kong's append_value: a string becomes a list with the new value, a list grows, else a new list. */
export function appendValue(current: unknown, value: unknown): unknown[] {
  if (typeof current === 'string') return [current, value];
  if (Array.isArray(current)) return [...current, value];
  return [value];
}
