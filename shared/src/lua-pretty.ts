/**
 * Penlight's `pretty.write(value, space)`, which Kong's error messages embed: with `space = ''`
 * one line (`{id="…"}`, `{consumer=null,name="acl"}`), with the default `'  '` one line per
 * entry (`{\n  timeout = "value should be…"\n}`, as schema violations show nested errors).
 *
 * Values are JSON-shaped: an object is a Lua table with string keys (sorted, as penlight sorts
 * them), an array a sequence in which `null` is a hole (Kong's sparse error arrays), and `null`
 * itself prints `null` (Kong prints ngx.null so). Penlight writes keys in `pairs` order, which
 * Lua does not define: here they are sorted, so a message is the same on every run. Kong's
 * declarative errors embed it too (`declarative config is invalid: {services={…}}`).
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
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** LuaJIT's `%q`: `"`, `\` and newline escaped by a backslash, other control bytes as `\ddd`. */
function percentQ(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (ch === '"' || ch === '\\' || ch === '\n') out += `\\${ch}`;
    else if (ch === '\r') out += '\\r';
    else if (c === 0) out += '\\0';
    else if (c < 32 || c === 127) {
      const next = s.charCodeAt(i + 1);
      const digitNext = next >= 48 && next <= 57;
      out += `\\${digitNext ? String(c).padStart(3, '0') : String(c)}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** The most `=` of any `[[`, `]]`, `[=[`, `]=]`… in `s`, or -1 when there is none. */
function longQuoteLevel(s: string): number {
  let level = -1;
  for (const match of s.matchAll(/([[\]])(=*)\1/g)) level = Math.max(level, match[2]!.length);
  return level;
}

/** Penlight's stringx.quote_string: a long bracket when the text has a newline or a long quote. */
export function luaQuote(s: string): string {
  const level = longQuoteLevel(s);
  if (!s.includes('\n') && level === -1) return percentQ(s);
  const equals = '='.repeat(level + 1);
  return `[${equals}[${s.startsWith('\n') ? `\n${s}` : s}]${equals}]`;
}

function keyText(key: string): string {
  if (IDENTIFIER.test(key) && !LUA_KEYWORDS.has(key)) return key;
  const quoted = luaQuote(key);
  return `[${quoted.startsWith('[') ? ` ${quoted} ` : quoted}]`;
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return luaQuote(value);
  if (typeof value === 'number') {
    // Lua's tostring: %.14g, and its words for the non-finite numbers.
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
    if (Number.isInteger(value)) return String(value);
    return String(Number(value.toPrecision(14)));
  }
  return String(value);
}

export function luaPretty(value: unknown, space = ''): string {
  if (typeof value !== 'object' || value === null) return scalar(value);
  const set = space === '' ? '=' : ' = ';
  const lines: string[] = [];
  let line = '';
  const put = (s: string) => {
    line += s;
  };
  const putln = (s: string) => {
    lines.push(line + s);
    line = '';
  };
  const eatLastComma = () => {
    const last = lines.length - 1;
    if (lines[last]?.endsWith(',')) lines[last] = lines[last]!.slice(0, -1);
  };
  const write = (v: unknown, oldIndent: string, indent: string): void => {
    if (typeof v !== 'object' || v === null) {
      putln(`${scalar(v)},`);
      return;
    }
    const inner = indent + space;
    putln('{');
    if (Array.isArray(v)) {
      // The sequence up to the first hole, then the other indices as `[i] = v`.
      let i = 0;
      for (; i < v.length && v[i] !== null && v[i] !== undefined; i++) {
        put(indent);
        write(v[i], indent, inner);
      }
      for (; i < v.length; i++) {
        if (v[i] === null || v[i] === undefined) continue;
        put(`${indent}[${i + 1}]${set}`);
        write(v[i], indent, inner);
      }
    } else {
      const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const key of keys) {
        const entry = (v as Record<string, unknown>)[key];
        if (entry === undefined) continue;
        put(`${indent}${keyText(key)}${set}`);
        write(entry, indent, inner);
      }
    }
    eatLastComma();
    putln(`${oldIndent}},`);
  };
  write(value, '', space);
  eatLastComma();
  return lines.join(space === '' ? '' : '\n');
}
