/**
 * The docs say what the code does: the README's command table lists every `turnpike` command,
 * CONTRIBUTING.md names files that exist, the plugins README names every bundled plugin.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUNDLED_PLUGINS } from '../../data-plane/src/plugins/bundled.ts';
import { REPO_ROOT, runTurnpike } from '../helpers/turnpike.ts';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

test("the README's command table lists every turnpike command", async () => {
  const help = await runTurnpike(['--help']);
  assert.equal(help.code, 0, help.stderr);
  const commands = [...help.stdout.matchAll(/^ {2}([a-z_]+)\b/gm)]
    .map((m) => m[1]!)
    .filter((c) => c !== 'help');
  assert.ok(commands.length >= 10, help.stdout);
  const table = read('README.md');
  for (const command of commands) assert.match(table, new RegExp(`^\\| \`${command}\\b`, 'm'), command);
});

test('CONTRIBUTING.md points to files and folders that exist', () => {
  const text = read('CONTRIBUTING.md');
  const paths = [...text.matchAll(/`([a-z][a-z0-9_-]*(?:\/[a-zA-Z0-9_.-]+)+\/?)/g)].map((m) => m[1]!);
  assert.ok(paths.length > 3);
  for (const path of paths) assert.ok(existsSync(join(REPO_ROOT, path)), path);
});

test('the plugins README names every bundled plugin', () => {
  const text = read('data-plane/src/plugins/README.md');
  for (const name of BUNDLED_PLUGINS) assert.match(text, new RegExp(`\`${name}\``), name);
});
