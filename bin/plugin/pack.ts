/**
 * `turnpike plugin pack <dir>`: the analogue of `luarocks pack`. The plugin is loaded first with a
 * node's checks (schema against the metaschema, handler's PRIORITY and VERSION), then its files —
 * without node_modules, tests, tarballs and signatures — go into `<name>-<version>.tgz` under
 * `<name>/`, with the manifest (`turnpike-plugin.json`: name, version, SDK range, sha256 of every
 * file). Entries carry no owner and a fixed time, so packing the same files twice gives the same bytes.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PluginPackageError } from '@turnpike/shared';
import { loadPluginAt } from '@turnpike/shared/plugins';
import semver from 'semver';
import * as tar from 'tar';
import {
  hashFiles,
  listPluginFiles,
  MANIFEST_FILE,
  type PluginManifest,
  pluginNameOf,
  readPackageJson,
  sdkRangeOf,
} from './manifest.ts';

/** Tar entries' time: the epoch of the first commit of the format, so packs are reproducible. */
const ENTRY_TIME = new Date('2026-01-01T00:00:00Z');

export interface PackResult {
  readonly file: string;
  readonly manifest: PluginManifest;
}

export async function packPlugin(dir: string, out?: string): Promise<PackResult> {
  const root = resolve(dir);
  const pkg = await readPackageJson(root);
  const name = pluginNameOf(root, pkg);
  const plugin = await loadPluginAt(root, name);
  const version = pkg?.version ?? plugin.handler?.version;
  if (version === undefined || semver.valid(version) === null) {
    throw new PluginPackageError(
      `${name}: no x.y.z version in package.json or the handler (got ${String(version)})`,
    );
  }
  const files = await listPluginFiles(root);
  const manifest: PluginManifest = {
    format: 1,
    name,
    version,
    sdk: sdkRangeOf(pkg, plugin.handler?.sdkVersion),
    files: await hashFiles(root, files),
  };
  const file = resolve(out ?? `${name}-${version}.tgz`);
  const staging = await mkdtemp(join(tmpdir(), 'turnpike-pack-'));
  try {
    for (const path of files) {
      await mkdir(dirname(join(staging, name, path)), { recursive: true });
      await copyFile(join(root, path), join(staging, name, path));
    }
    await writeFile(join(staging, name, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await tar.c({ gzip: true, file, cwd: staging, portable: true, mtime: ENTRY_TIME }, [
      join(name, MANIFEST_FILE),
      ...files.map((path) => join(name, path)),
    ]);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { file, manifest };
}
