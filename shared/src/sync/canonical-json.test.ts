import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.ts';

/** The plain definition: sort every object's keys, then JSON.stringify each piece. */
function reference(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const withToJson = value as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === 'function') return reference(withToJson.toJSON());
    if (Array.isArray(value)) return `[${value.map((v) => reference(v) ?? 'null').join(',')}]`;
    const record = value as Record<string, unknown>;
    const parts = Object.keys(record)
      .sort()
      .flatMap((key) => {
        const item = reference(record[key]);
        return item === undefined ? [] : [`${JSON.stringify(key)}:${item}`];
      });
    return `{${parts.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['id', 'name', 'b', 'a', 'a\u0000b', 'a\u0000', 'é', 'z"q', ''];

function randomValue(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 2 ? 6 : 9));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return next() < 0.1 ? Number.NaN : Math.floor(next() * 1000) - 500;
    case 3:
      return next() < 0.5;
    case 4:
      return `s${'"\\\n\u2028'.charAt(Math.floor(next() * 4))}${Math.floor(next() * 10)}`;
    case 5:
      return { toJSON: () => 'as json' };
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      const count = Math.floor(next() * 5);
      for (let i = 0; i < count; i++)
        object[KEYS[Math.floor(next() * KEYS.length)]!] = randomValue(next, depth + 1);
      return object;
    }
  }
}

describe('canonicalJson against its plain definition', () => {
  it('writes the same text for random values, keys with NUL and shapes seen before included', () => {
    const next = random(42);
    for (let i = 0; i < 5000; i++) {
      const value = randomValue(next, 0);
      assert.equal(canonicalJson(value), reference(value) ?? 'null', JSON.stringify(value));
    }
  });

  it('does not confuse two key lists that join to the same text', () => {
    assert.equal(canonicalJson({ 'a\u0000b': 1 }), '{"a\\u0000b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), '{"a":1,"b":2}');
    assert.equal(canonicalJson({ b: 2, a: 1 }), '{"a":1,"b":2}');
  });
});
