import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SDK_VERSION } from '@turnpike/plugin-sdk';
import * as tar from 'tar';
import { REPO_ROOT, runProgram, runTurnpike } from '../helpers/turnpike.ts';
import { type TempDir, tempDir, writeStampPlugin } from './custom-plugin-fixtures.ts';

// `turnpike plugin init | pack | sign | verify | install`, run as a user runs them, on files in a
// temporary folder outside the repository.

let work: TempDir;
let keys: { private: string; public: string; otherPublic: string };

function p256(): { privatePem: string; publicPem: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

let tarball: string;
before(async () => {
  work = await tempDir('turnpike-plugin-cli-');
  keys = {
    private: join(work.path, 'signing.pem'),
    public: join(work.path, 'signing.pub'),
    otherPublic: join(work.path, 'other.pub'),
  };
  const signing = p256();
  await writeFile(keys.private, signing.privatePem, { mode: 0o600 });
  await writeFile(keys.public, signing.publicPem);
  await writeFile(keys.otherPublic, p256().publicPem);
  const source = await writeStampPlugin(join(work.path, 'src'), { version: '1.2.0' });
  await writeFile(join(source, 'handler.test.ts'), '// tests stay out of the tarball\n');
  tarball = join(work.path, 'stamp-1.2.0.tgz');
  const packed = await runTurnpike(['plugin', 'pack', source, '--out', tarball]);
  assert.equal(packed.code, 0, packed.stderr);
  // The stamp plugin states no sdkVersion: its range is the SDK the node runs with.
  assert.ok(
    packed.stdout.includes(`packed stamp 1.2.0 (plugin SDK ^${SDK_VERSION}, 3 files)`),
    packed.stdout,
  );
});

after(async () => {
  await work[Symbol.asyncDispose]();
});

const install = (source: string, paths: string, ...args: string[]) =>
  runTurnpike(['plugin', 'install', source, ...args], { TURNPIKE_PLUGIN_PATHS: paths });

describe('turnpike plugin pack, sign, verify, install', () => {
  test('the tarball holds the plugin under its name with a manifest of every file and its sha256', async () => {
    const entries: string[] = [];
    await tar.t({ file: tarball, onReadEntry: (e) => entries.push(e.path) });
    assert.deepEqual(entries.sort(), [
      'stamp/handler.ts',
      'stamp/package.json',
      'stamp/schema.ts',
      'stamp/turnpike-plugin.json',
    ]);
    const out = join(work.path, 'unpacked');
    await mkdir(out);
    await tar.x({ file: tarball, cwd: out });
    const manifest = JSON.parse(await readFile(join(out, 'stamp/turnpike-plugin.json'), 'utf8'));
    assert.equal(manifest.name, 'stamp');
    assert.equal(manifest.version, '1.2.0');
    assert.equal(manifest.sdk, `^${SDK_VERSION}`);
    assert.deepEqual(Object.keys(manifest.files), ['handler.ts', 'package.json', 'schema.ts']);
    assert.match(manifest.files['handler.ts'], /^[0-9a-f]{64}$/);
  });

  test('pack → sign → verify → install --verify-key: the plugin lands on the first plugin_paths entry', async () => {
    const signed = await runTurnpike(['plugin', 'sign', tarball, '--key', keys.private]);
    assert.equal(signed.code, 0, signed.stderr);
    // The signature is cosign's format: base64 of a DER ECDSA signature over the file's SHA-256.
    const signature = Buffer.from((await readFile(`${tarball}.sig`, 'utf8')).trim(), 'base64');
    const publicKey = createPublicKey(await readFile(keys.public, 'utf8'));
    assert.ok(verify('sha256', await readFile(tarball), publicKey, signature), 'node:crypto verifies it');

    const verified = await runTurnpike(['plugin', 'verify', tarball, '--key', keys.public]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stdout, 'Verified OK\n');
    const paths = join(work.path, 'installed');
    const installed = await install(
      tarball,
      `${paths},${join(work.path, 'second')}`,
      '--verify-key',
      keys.public,
    );
    assert.equal(installed.code, 0, installed.stderr);
    assert.ok(existsSync(join(paths, 'stamp', 'handler.ts')));
    const again = await install(tarball, paths);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /stamp is already installed at .* \(use --force to replace it\)/);
    assert.equal((await install(tarball, paths, '--force')).code, 0);
  });

  test('a tampered tarball, a wrong key or a missing signature is refused, and nothing is installed', async () => {
    const paths = join(work.path, 'refused');
    // One byte changed after signing.
    const bytes = await readFile(tarball);
    const flipped = join(work.path, 'flipped.tgz');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    await writeFile(flipped, bytes);
    await writeFile(`${flipped}.sig`, await readFile(`${tarball}.sig`));
    const tampered = await install(flipped, paths, '--verify-key', keys.public);
    assert.equal(tampered.code, 1);
    assert.match(
      tampered.stderr,
      /the signature .*flipped\.tgz\.sig does not verify .*flipped\.tgz.*: the tarball was changed after it was signed, or it was signed with another key/,
    );
    const wrongKey = await install(tarball, paths, '--verify-key', keys.otherPublic);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /does not verify/);
    const unsigned = join(work.path, 'unsigned.tgz');
    await writeFile(unsigned, await readFile(tarball));
    const missing = await install(unsigned, paths, '--verify-key', keys.public);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /unsigned\.tgz has no signature/);

    // Repacked with a changed handler but the original manifest: the manifest catches it.
    const out = join(work.path, 'repack');
    await mkdir(out);
    await tar.x({ file: tarball, cwd: out });
    await writeFile(
      join(out, 'stamp/handler.ts'),
      (await readFile(join(out, 'stamp/handler.ts'), 'utf8')).replace('900', '901'),
    );
    const repacked = join(work.path, 'repacked.tgz');
    await tar.c({ gzip: true, file: repacked, cwd: out }, ['stamp']);
    const changed = await install(repacked, paths);
    assert.equal(changed.code, 1);
    assert.match(
      changed.stderr,
      /stamp 1\.2\.0: the files differ from turnpike-plugin\.json \(handler\.ts does not match its sha256\)/,
    );
    assert.equal(existsSync(join(paths, 'stamp')), false, 'nothing installed');
  });

  test('a signature made as `cosign sign-blob` makes it (node:crypto here), plain or as a bundle, verifies', async () => {
    const cosign = p256();
    const cosignPub = join(work.path, 'cosign.pub');
    await writeFile(cosignPub, cosign.publicPem);
    // cosign sign-blob --key cosign.key stamp-1.2.0.tgz: ECDSA P-256 over SHA-256(blob), ASN.1 DER, base64.
    const der = sign('sha256', await readFile(tarball), cosign.privatePem);
    const plain = join(work.path, 'cosign.sig');
    await writeFile(plain, der.toString('base64'));
    const verified = await runTurnpike([
      'plugin',
      'verify',
      tarball,
      '--key',
      cosignPub,
      '--signature',
      plain,
    ]);
    assert.equal(verified.code, 0, verified.stderr);
    // cosign sign-blob --bundle: the same signature inside JSON.
    const bundle = join(work.path, 'cosign.bundle');
    await writeFile(
      bundle,
      JSON.stringify({ base64Signature: der.toString('base64'), cert: '', rekorBundle: null }),
    );
    const paths = join(work.path, 'cosigned');
    const installed = await install(tarball, paths, '--verify-key', cosignPub, '--signature', bundle);
    assert.equal(installed.code, 0, installed.stderr);
    assert.ok(existsSync(join(paths, 'stamp', 'schema.ts')));
  });

  test('a plugin needing another major version of the plugin SDK is refused at install', async () => {
    const source = await writeStampPlugin(join(work.path, 'future-src'), { name: 'future' });
    const pkg = JSON.parse(await readFile(join(source, 'package.json'), 'utf8'));
    pkg.peerDependencies = { '@turnpike/plugin-sdk': '^2.0.0' };
    await writeFile(join(source, 'package.json'), JSON.stringify(pkg));
    const file = join(work.path, 'future.tgz');
    assert.equal((await runTurnpike(['plugin', 'pack', source, '--out', file])).code, 0);
    const refused = await install(file, join(work.path, 'future-paths'));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /future 1\.0\.0 needs plugin SDK \^2\.0\.0; this node has 1\.\d+\.\d+/);
  });

  test('init writes a plugin whose own test passes with the SDK harness, and that packs', async () => {
    const created = await runTurnpike(['plugin', 'init', 'my-plugin', '--dir', work.path]);
    assert.equal(created.code, 0, created.stderr);
    const dir = join(work.path, 'my-plugin');
    for (const file of ['handler.ts', 'schema.ts', 'handler.test.ts', 'package.json', 'README.md']) {
      assert.ok(existsSync(join(dir, file)), file);
    }
    // The SDK as npm installs it for an author: the published build.
    const sdk = join(work.path, 'sdk-build');
    const built = await runProgram(process.execPath, [
      join(REPO_ROOT, 'shared/plugin-sdk/build.ts'),
      '--out',
      sdk,
    ]);
    assert.equal(built.code, 0, built.stderr);
    await mkdir(join(dir, 'node_modules/@turnpike'), { recursive: true });
    await symlink(sdk, join(dir, 'node_modules/@turnpike/plugin-sdk'));
    const tested = await runProgram(process.execPath, ['--test'], {}, dir);
    assert.equal(tested.code, 0, tested.stdout + tested.stderr);
    assert.match(tested.stdout + tested.stderr, /pass 1/);
    const packed = await runTurnpike(['plugin', 'pack', dir, '--out', join(work.path, 'my-plugin.tgz')]);
    assert.equal(packed.code, 0, packed.stderr);
    // The template asks for the node's SDK major.minor.
    const range = `^${SDK_VERSION.split('.').slice(0, 2).join('.')}.0`;
    assert.ok(packed.stdout.includes(`packed my-plugin 0.1.0 (plugin SDK ${range}, 5 files)`), packed.stdout);
  });
});
