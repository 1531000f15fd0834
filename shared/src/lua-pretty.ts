/**
 * Penlight's `pretty.write(t, "")`, which Kong uses to put a declarative configuration's errors
 * into its message (`declarative config is invalid: {services={{host="required field missing"}}}`).
 *
 * JSON arrays are Lua sequences with holes: the items before the first null are written in
 * order without keys, every later item as `[n]=` (1-based), as `ipairs` then `pairs` do. Keys
 * that are Lua identifiers are written bare, others as `["@entity"]=`. Penlight writes the
 * other keys in `pairs` order, which Lua does not define: here they are sorted, so the message
 * is the same on every run.
 */

const LUA_KEYWORDS = new Set([
  'and',
  'break',
  'do',
  'else',
  'elseif',
  'end',
  'false',
  'for',
  'function',
  'goto',
  'if',
  'in',
  'local',
  'nil',
  'not',
  'or',
  'repeat',
  'return',
  'then',
  'true',
  'until',
  'while',
]);

function isIdentifier(key: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && !LUA_KEYWORDS.has(key);
}

/** The longest `=` run of a `[==[` or `]==]` in `s`, or undefined when it has none (pl.stringx has_lquote). */
function longQuoteLevel(s: string): number | undefined {
  let level: number | undefined;
  for (const m of s.matchAll(/[[\]](=*)[[\]]/g)) level = Math.max(level ?? 0, m[1]!.length);
  return level;
}

/** Lua's `%q`: double quotes, with `\`, `"`, newlines and control characters escaped. */
function percentQ(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\\n';
    else if (ch === '\r') out += '\\r';
    else if (code === 0) out += '\\0';
    else if (code < 32 || code === 127) out += `\\${code}`;
    else out += ch;
  }
  return `${out}"`;
}

/** pl.stringx.quote_string: a long string when it holds a newline or a long bracket, else `%q`. */
export function luaQuote(s: string): string {
  const level = longQuoteLevel(s);
  if (!s.includes('\n') && level === undefined) return percentQ(s);
  const equals = '='.repeat((level ?? -1) + 1);
  return `[${equals}[${s.startsWith('\n') ? `\n${s}` : s}]${equals}]`;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return luaQuote(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(14)));
  }
  return String(value);
}

function write(value: unknown): string {
  if (typeof value !== 'object' || value === null) return scalar(value);
  const parts: string[] = [];
  if (Array.isArray(value)) {
    let i = 0;
    while (i < value.length && value[i] !== null && value[i] !== undefined) parts.push(write(value[i++]));
    for (; i < value.length; i++) {
      if (value[i] !== null && value[i] !== undefined) parts.push(`[${i + 1}]=${write(value[i])}`);
    }
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined) continue;
      const shown = isIdentifier(key) ? key : `[${luaQuote(key)}]`;
      parts.push(`${shown}=${write(item)}`);
    }
  }
  return `{${parts.join(',')}}`;
}

/** `pretty.write(value, "")`: one line, no spaces. */
export function luaPretty(value: unknown): string {
  return write(value);
}
