import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { buildConfig } from './build.ts';
import { parseConfText } from './conf-text.ts';
import { CONFIG_KEYS } from './schema.ts';
import { renderConfTemplate, templateLine } from './template.ts';

const DEFAULT_FILE = new URL('../../../turnpike.conf.default', import.meta.url);

describe('turnpike.conf.default', () => {
  it('lists every key, commented out, with its current default', async () => {
    const lines = new Set((await readFile(DEFAULT_FILE, 'utf8')).split('\n'));
    const missing = CONFIG_KEYS.map(templateLine).filter((line) => !lines.has(line));
    assert.deepEqual(missing, [], 'regenerate with renderConfTemplate() (see shared/src/config/README.md)');
  });

  it('is exactly what renderConfTemplate produces, so descriptions stay true too', async () => {
    assert.equal(await readFile(DEFAULT_FILE, 'utf8'), renderConfTemplate());
  });

  it('loads to the defaults once every line is uncommented', () => {
    const uncommented = renderConfTemplate()
      .split('\n')
      .map((line) => (/^#[a-z_]+ =/.test(line) ? line.slice(1) : line))
      .join('\n');
    assert.equal(parseConfText(uncommented).lines.length, CONFIG_KEYS.length);
    const fromTemplate = buildConfig({
      file: { path: '/t/turnpike.conf', text: uncommented },
      env: {},
      cwd: '/',
    });
    const fromDefaults = buildConfig({ env: {}, cwd: '/' });
    assert.deepEqual(fromTemplate.config, fromDefaults.config);
  });
});
