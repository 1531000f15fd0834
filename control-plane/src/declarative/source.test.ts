import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { REPO_ROOT } from '../../../test/helpers/turnpike.ts';
import { decodeDeclarative } from './source.ts';

const CORPUS = join(REPO_ROOT, 'test/fixtures/declarative');

/** The value by the Document way alone (what every file was read with before the fast path). */
function byDocument(text: string): unknown {
  return parseDocument(text, { uniqueKeys: true, merge: true }).toJS({ maxAliasCount: 1000 });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('declarative source', () => {
  it('reads every YAML file of the corpus to the same value as the Document way', () => {
    const files = yamlFiles(CORPUS);
    assert.ok(files.length > 10, `${files.length} files`);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const decoded = decodeDeclarative(text, file);
      if (!decoded.ok) continue; // refused either way; the Document's words (other tests)
      assert.deepEqual(decoded.value, byDocument(text), file);
    }
  });

  it('reads the YAML 1.2 core scalars as the Document does', () => {
    const text = [
      'a: yes',
      'b: no',
      'c: on',
      'd: True',
      'e: FALSE',
      'f: ~',
      'g: null',
      'h: 0x1F',
      'i: 0o17',
      'j: 017',
      'k: 1e3',
      'l: .inf',
      'm: -.Inf',
      'n: .nan',
      'o: 2001-12-14',
      'p: "0755"',
      "q: '1'",
      'r: 1_000',
      's: +12',
      't: 12.50',
      'u: []',
      'v: {}',
      'w:',
      'x: "a\\tb"',
      'y: |\n  two\n  lines',
    ].join('\n');
    const decoded = decodeDeclarative(text, 'kong.yml');
    assert.ok(decoded.ok);
    const expected = byDocument(text) as Record<string, unknown>;
    const got = decoded.value as Record<string, unknown>;
    for (const key of Object.keys(expected)) {
      if (typeof expected[key] === 'number' && Number.isNaN(expected[key]))
        assert.ok(Number.isNaN(got[key]), key);
      else assert.deepEqual(got[key], expected[key], key);
    }
  });

  it('takes the Document way for anchors, aliases, tags and merge keys, and for what js-yaml refuses', () => {
    const merged = decodeDeclarative('base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n', 'kong.yml');
    assert.ok(merged.ok);
    assert.deepEqual((merged.value as { other: unknown }).other, { x: 1, y: 2 });
    const repeated = decodeDeclarative('a: 1\na: 2\n', 'kong.yml');
    assert.equal(repeated.ok, false);
    assert.match((repeated as { message: string }).message, /Map keys must be unique/);
    const broken = decodeDeclarative('a: [1, 2\n', 'kong.yml');
    assert.equal(broken.ok, false);
  });

  it('refuses an alias bomb as input (the Document way, its alias bound), and keeps wildcards and URLs on the fast way', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    let prev = 'a';
    for (const n of 'bcdefghij') {
      lines.push(`${n}: &${n} [${Array(10).fill(`*${prev}`).join(',')}]`);
      prev = n;
    }
    const bomb = decodeDeclarative(`${lines.join('\n')}\n`, 'kong.yml');
    assert.equal(bomb.ok, false);
    assert.match((bomb as { message: string }).message, /alias/i);
    const plain = decodeDeclarative(
      'hosts: ["*.example.com", \'*.b.com\']\nurl: http://x/?a=1&b=2\n',
      'kong.yml',
    );
    assert.ok(plain.ok);
    assert.deepEqual(plain.value, { hosts: ['*.example.com', '*.b.com'], url: 'http://x/?a=1&b=2' });
  });

  it('finds a line only when asked, on both ways', () => {
    const text =
      '_format_version: "3.0"\nservices:\n  - name: a\n    url: http://x\n  - name: b\n    port: nope\n';
    const decoded = decodeDeclarative(text, 'kong.yml');
    assert.ok(decoded.ok);
    assert.equal(decoded.locate(['services', 1, 'port']), 6);
  });
});
