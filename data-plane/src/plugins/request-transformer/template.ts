/**
 * Kong's request-transformer values are Penlight templates: `$(lua expression)`. Turnpike runs no
 * Lua: it compiles the expressions a template can use safely — a request value, with an optional
 * literal default — and refuses any other code at validation time:
 *
 *   $(headers.x_name)  $(headers["X-Name"])  $(query_params.q)  $(query_params['q'])
 *   $(uri_captures.name)  $(uri_captures[1])  $(… or "default")  $('literal $(not a template)')
 *
 * `headers.a_b` reads header `a-b` (ngx.req.get_headers' lookup); a missing value with no default
 * renders `nil`, as Lua's tostring(nil) does in Kong.
 */
import type { UriCaptures } from '@turnpike/plugin-sdk';

export type Source = 'headers' | 'query_params' | 'uri_captures';

/** One piece of a compiled template: literal text, or a lookup with its default. */
export type Piece =
  | string
  | { readonly source: Source; readonly key: string | number; readonly fallback: string | undefined };

export interface TemplateEnv {
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  readonly captures: UriCaptures;
}

const IDENT = String.raw`[A-Za-z_][A-Za-z0-9_]*`;
const STRING = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`;
const LOOKUP = new RegExp(
  String.raw`^\s*(headers|query_params|uri_captures)\s*(?:\.(${IDENT})|\[\s*(${STRING}|\d+)\s*\])\s*(?:or\s+(${STRING})\s*)?$`,
);
const LITERAL = new RegExp(String.raw`^\s*(${STRING})\s*$`);
export const SUPPORTED =
  'only $(headers.<name>), $(query_params.<name>), $(uri_captures.<name>) (or ["<name>"], uri_captures[<n>]), with an optional `or "<default>"`, and $("<literal>") are supported';

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** The expression's piece, or why it is refused. */
function expression(code: string): Piece | { error: string } {
  const literal = LITERAL.exec(code);
  if (literal !== null) return unquote(literal[1]!);
  const m = LOOKUP.exec(code);
  if (m === null) return { error: SUPPORTED };
  const source = m[1] as Source;
  let key: string | number;
  if (m[2] !== undefined) key = m[2];
  else if (/^\d+$/.test(m[3]!)) {
    key = Number(m[3]);
    if (source !== 'uri_captures' || key < 1) return { error: SUPPORTED };
  } else key = unquote(m[3]!);
  return { source, key, fallback: m[4] === undefined ? undefined : unquote(m[4]) };
}

/** Splits `$( … )` expressions out of a template, with balanced parentheses and quotes. */
export function compileTemplate(template: string): readonly Piece[] | { error: string } {
  const pieces: Piece[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    if (template[i] !== '$' || template[i + 1] !== '(') {
      text += template[i++];
      continue;
    }
    let depth = 1;
    let j = i + 2;
    let quote: string | undefined;
    for (; j < template.length && depth > 0; j++) {
      const ch = template[j]!;
      if (quote !== undefined) {
        if (ch === '\\') j++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    if (depth > 0) return { error: `unclosed $( in '${template}'` };
    const piece = expression(template.slice(i + 2, j - 1));
    if (typeof piece === 'object' && 'error' in piece) return piece;
    if (text !== '') pieces.push(text);
    text = '';
    pieces.push(piece);
    i = j;
  }
  if (text !== '') pieces.push(text);
  return pieces;
}

function lookup(env: TemplateEnv, source: Source, key: string | number): string | undefined {
  if (source === 'headers') return env.header(String(key).toLowerCase().replaceAll('_', '-'));
  if (source === 'query_params') return env.query(String(key));
  return typeof key === 'number' ? env.captures.unnamed[key - 1] : env.captures.named[key];
}

export function render(pieces: readonly Piece[], env: TemplateEnv): string {
  let out = '';
  for (const piece of pieces) {
    if (typeof piece === 'string') out += piece;
    else out += lookup(env, piece.source, piece.key) ?? piece.fallback ?? 'nil';
  }
  return out;
}
