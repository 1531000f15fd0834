import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { buildConfig } from './build.ts';
import { parseConfText } from './conf-text.ts';
import { CONFIG_KEYS } from './schema.ts';
import { renderConfTemplate, templateLine } from './template.ts';

const DEFAULT_FILE = new URL('../../../turnpike.conf.default', import.meta.url);

describe('turnpike.conf.default', () => {
  it('lists every key that does something, commented out, with its current default', async () => {
    const lines = new Set((await readFile(DEFAULT_FILE, 'utf8')).split('\n'));
    const implemented = CONFIG_KEYS.filter((k) => k.notImplemented === undefined);
    const missing = implemented.map(templateLine).filter((line) => !lines.has(line));
    assert.deepEqual(missing, [], 'regenerate with renderConfTemplate() (see shared/src/config/README.md)');
  });

  it('documents no key that has no effect yet', async () => {
    const text = await readFile(DEFAULT_FILE, 'utf8');
    // Every key is implemented today (status_error_log was the last): the check stays for the next one.
    const inert = CONFIG_KEYS.filter((k) => k.notImplemented !== undefined);
    for (const key of inert) assert.doesNotMatch(text, new RegExp(`^#${key.name} =`, 'm'), key.name);
  });

  it('is exactly what renderConfTemplate produces, so descriptions stay true too', async () => {
    assert.equal(await readFile(DEFAULT_FILE, 'utf8'), renderConfTemplate());
  });

  it('loads to the defaults once every line is uncommented', () => {
    const uncommented = renderConfTemplate()
      .split('\n')
      .map((line) => (/^#[a-z_]+ =/.test(line) ? line.slice(1) : line))
      .join('\n');
    const implemented = CONFIG_KEYS.filter((k) => k.notImplemented === undefined);
    assert.equal(parseConfText(uncommented).lines.length, implemented.length);
    const fromTemplate = buildConfig({
      file: { path: '/t/turnpike.conf', text: uncommented },
      env: {},
      cwd: '/',
    });
    const fromDefaults = buildConfig({ env: {}, cwd: '/' });
    assert.deepEqual(fromTemplate.config, fromDefaults.config);
    assert.deepEqual(fromTemplate.warnings, [], 'every key it documents does something');
  });
});
