import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SDK_VERSION } from './version.ts';

test('SDK_VERSION is the version of the package', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.equal(SDK_VERSION, pkg.version);
});
