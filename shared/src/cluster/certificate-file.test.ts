import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TurnpikeError } from '../errors.ts';
import { writeClusterCertificate } from './certificate-file.ts';

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await mkdtemp(join(tmpdir(), 'turnpike-cluster-cert-'));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('writeClusterCertificate', () => {
  it('writes the key readable by its owner only and the certificate readable by all', async () => {
    await using dir = await tempDir();
    const cert = join(dir.path, 'cluster.crt');
    const key = join(dir.path, 'cluster.key');
    const written = await writeClusterCertificate(cert, key, { days: 7 });
    assert.equal(await modeOf(key), 0o600);
    assert.equal(await modeOf(cert), 0o644);
    assert.equal(await readFile(cert, 'utf8'), written.certPem);
    assert.equal(await readFile(key, 'utf8'), written.keyPem);
    const parsed = new X509Certificate(written.certPem);
    assert.equal((parsed.validToDate.getTime() - parsed.validFromDate.getTime()) / 86_400_000, 7);
  });

  for (const existing of ['cluster.crt', 'cluster.key']) {
    it(`refuses to overwrite an existing ${existing}, in Kong's words, and writes nothing`, async () => {
      await using dir = await tempDir();
      const cert = join(dir.path, 'cluster.crt');
      const key = join(dir.path, 'cluster.key');
      await writeFile(join(dir.path, existing), 'keep me');
      await assert.rejects(writeClusterCertificate(cert, key), (error: unknown) => {
        assert.ok(error instanceof TurnpikeError);
        assert.equal(error.code, 'TP_CLI_USAGE');
        assert.equal(
          error.message,
          `${join(dir.path, existing)} already exists.\nWill not overwrite it. Use --force to overwrite.`,
        );
        return true;
      });
      assert.equal(await readFile(join(dir.path, existing), 'utf8'), 'keep me');
      const other = existing === 'cluster.crt' ? key : cert;
      await assert.rejects(stat(other), { code: 'ENOENT' });
    });
  }

  it('overwrites both files when forced, leaving the new key private even if the old one was not', async () => {
    await using dir = await tempDir();
    const cert = join(dir.path, 'cluster.crt');
    const key = join(dir.path, 'cluster.key');
    await writeFile(cert, 'old cert');
    await writeFile(key, 'old key');
    await chmod(key, 0o644);
    const written = await writeClusterCertificate(cert, key, { force: true });
    assert.equal(await readFile(key, 'utf8'), written.keyPem);
    assert.equal(await readFile(cert, 'utf8'), written.certPem);
    assert.equal(await modeOf(key), 0o600);
  });
});
