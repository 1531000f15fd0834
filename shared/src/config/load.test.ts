import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigFileError, ConfigInvalidError } from '../errors.ts';
import { loadConfig } from './load.ts';

describe('loadConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'turnpike-config-'));
    await writeFile(join(dir, 'turnpike.conf'), 'pg_host = from-file\nlog_level = info # chatty\n');
    await writeFile(join(dir, 'other.conf'), 'pg_host = from-other\n');
    await writeFile(join(dir, 'bad-port.conf'), '\n\npg_port = 0\n');
    await writeFile(join(dir, 'token'), 'file-token\n');
    await mkdir(join(dir, 'etc'));
    await writeFile(join(dir, 'etc', 'turnpike.conf'), 'pg_host = from-etc\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads the given file, relative to cwd, and reports its absolute path', async () => {
    const loaded = await loadConfig({ file: 'turnpike.conf', env: {}, cwd: dir, defaultPaths: [] });
    assert.equal(loaded.file, join(dir, 'turnpike.conf'));
    assert.equal(loaded.config.pg_host, 'from-file');
    assert.equal(loaded.config.log_level, 'info');
    assert.equal(loaded.sources.log_level, 'turnpike.conf:2');
  });

  it('reads TURNPIKE_CONF when no file is given', async () => {
    const loaded = await loadConfig({
      env: { TURNPIKE_CONF: join(dir, 'other.conf') },
      cwd: '/',
      defaultPaths: [],
    });
    assert.equal(loaded.config.pg_host, 'from-other');
  });

  it('prefers the given file over TURNPIKE_CONF', async () => {
    const loaded = await loadConfig({
      file: join(dir, 'turnpike.conf'),
      env: { TURNPIKE_CONF: join(dir, 'other.conf') },
      cwd: '/',
      defaultPaths: [],
    });
    assert.equal(loaded.config.pg_host, 'from-file');
  });

  it('falls back to the first default path that exists, and to no file at all', async () => {
    const etc = join(dir, 'etc', 'turnpike.conf');
    const found = await loadConfig({ env: {}, cwd: '/', defaultPaths: [join(dir, 'missing.conf'), etc] });
    assert.equal(found.file, etc);
    assert.equal(found.config.pg_host, 'from-etc');
    const none = await loadConfig({ env: {}, cwd: '/', defaultPaths: [join(dir, 'missing.conf')] });
    assert.equal(none.file, undefined);
    assert.equal(none.config.pg_host, '127.0.0.1');
  });

  it('throws ConfigFileError naming the path of a missing file, given or from TURNPIKE_CONF', async () => {
    const missing = join(dir, 'nope.conf');
    for (const options of [{ file: missing, env: {} }, { env: { TURNPIKE_CONF: missing } }]) {
      await assert.rejects(
        loadConfig({ ...options, cwd: '/', defaultPaths: [] }),
        (error: unknown) =>
          error instanceof ConfigFileError &&
          error.message === `cannot read configuration file ${missing}: no such file`,
      );
    }
  });

  it('throws ConfigFileError for a path that is a directory', async () => {
    await assert.rejects(
      loadConfig({ file: dir, env: {}, cwd: '/', defaultPaths: [] }),
      (error: unknown) => error instanceof ConfigFileError && error.message.includes('is a directory'),
    );
  });

  it('reads TURNPIKE_<KEY>_FILE from disk, relative to cwd, and lets it win over the file', async () => {
    const loaded = await loadConfig({
      file: 'turnpike.conf',
      env: { TURNPIKE_ADMIN_TOKEN_FILE: 'token', TURNPIKE_PG_HOST: 'from-env' },
      cwd: dir,
      defaultPaths: [],
    });
    assert.equal(loaded.config.admin_token, 'file-token');
    assert.equal(loaded.sources.admin_token, 'TURNPIKE_ADMIN_TOKEN_FILE (token)');
    assert.equal(loaded.config.pg_host, 'from-env');
  });

  it('reports a missing TURNPIKE_<KEY>_FILE as a problem of that key', async () => {
    const missing = join(dir, 'missing-secret');
    await assert.rejects(
      loadConfig({ env: { TURNPIKE_PG_PASSWORD_FILE: missing }, cwd: dir, defaultPaths: [] }),
      (error: unknown) =>
        error instanceof ConfigInvalidError &&
        error.problems[0]?.key === 'pg_password' &&
        error.problems[0].source === `TURNPIKE_PG_PASSWORD_FILE (${missing})` &&
        /cannot read the file/.test(error.problems[0].message),
    );
  });

  it('names the file and line of a bad value', async () => {
    await assert.rejects(
      loadConfig({ file: 'bad-port.conf', env: {}, cwd: dir, defaultPaths: [] }),
      (error: unknown) =>
        error instanceof ConfigInvalidError &&
        error.message ===
          "pg_port (from bad-port.conf:3): invalid value '0': expected an integer from 1 to 65535",
    );
  });
});
