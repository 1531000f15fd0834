/**
 * JSON with object keys sorted at every depth, so that two planes serialising the same entity
 * (built in a different key order, or parsed back from the wire) produce the same bytes and
 * so the same hash. Otherwise follows JSON.stringify: `toJSON` is honoured, undefined and
 * function properties are dropped, undefined array items and non-finite numbers become null.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: a bigint has no JSON form');
    case 'object':
      return writeObject(value);
    default:
      // undefined, functions and symbols: omitted from objects, null in arrays.
      return undefined;
  }
}

/**
 * One object shape: its keys as `Object.keys` lists them, and in sorted order with each key
 * already quoted. Entities of one type share a handful of shapes, so the sort and the key
 * quoting happen once per shape instead of once per object (hashing 50,000 routes sorted
 * 50,000 identical key lists).
 */
interface Shape {
  /** As Object.keys gave them: the id below is ambiguous when a key holds NUL, so it is checked. */
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly quoted: readonly string[];
}

const MAX_SHAPES = 1024;
const shapes = new Map<string, Shape>();

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function newShape(keys: string[]): Shape {
  const sorted = [...keys].sort();
  return { keys, sorted, quoted: sorted.map((key) => `${JSON.stringify(key)}:`) };
}

function shapeOf(keys: string[]): Shape {
  const id = keys.join('\u0000');
  const known = shapes.get(id);
  if (known !== undefined) return sameKeys(known.keys, keys) ? known : newShape(keys);
  const shape = newShape(keys);
  // Bounded: arbitrary JSON (plugin configs) must not grow this without limit.
  if (shapes.size >= MAX_SHAPES) shapes.clear();
  shapes.set(id, shape);
  return shape;
}

function writeObject(value: object): string | undefined {
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += write(value[i]) ?? 'null';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const { sorted, quoted } = shapeOf(Object.keys(record));
  let out = '{';
  let first = true;
  for (let i = 0; i < sorted.length; i++) {
    const item = write(record[sorted[i]!]);
    if (item === undefined) continue;
    out += first ? quoted[i]! : `,${quoted[i]!}`;
    out += item;
    first = false;
  }
  return `${out}}`;
}
