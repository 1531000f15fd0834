/**
 * A packed plugin's manifest (`turnpike-plugin.json`, at the root of the plugin's folder in the
 * tarball): its name, version, the plugin SDK range it needs, and the sha256 of every other file.
 * `install` refuses a tarball whose files differ from it in any way (changed, missing or added).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { SDK_VERSION } from '@turnpike/plugin-sdk';
import { PluginPackageError } from '@turnpike/shared';
import semver from 'semver';

export const MANIFEST_FILE = 'turnpike-plugin.json';

export interface PluginManifest {
  readonly format: 1;
  readonly name: string;
  readonly version: string;
  /** The plugin SDK versions the plugin works with (a semver range). */
  readonly sdk: string;
  /** Path (POSIX, relative to the plugin folder) → sha256, hex. */
  readonly files: Readonly<Record<string, string>>;
}

interface PackageJson {
  name?: string;
  version?: string;
  turnpike?: { plugin?: string };
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

export async function readPackageJson(dir: string): Promise<PackageJson | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** The plugin's name: package.json `turnpike.plugin`, else `turnpike-plugin-<name>`, else the folder's. */
export function pluginNameOf(dir: string, pkg: PackageJson | undefined): string {
  const declared = pkg?.turnpike?.plugin;
  const fromPackage = pkg?.name?.replace(/^@[^/]+\//, '').match(/^turnpike-plugin-(.+)$/)?.[1];
  const name = declared ?? fromPackage ?? basename(dir);
  if (!NAME.test(name)) {
    throw new PluginPackageError(`'${name}' is not a plugin name: lowercase letters, digits, '-' and '_'`);
  }
  return name;
}

/** The SDK range: what package.json asks of @turnpike/plugin-sdk, else this SDK's major. */
export function sdkRangeOf(pkg: PackageJson | undefined, sdkVersion: string | undefined): string {
  const sdk = '@turnpike/plugin-sdk';
  const range = pkg?.peerDependencies?.[sdk] ?? pkg?.dependencies?.[sdk] ?? pkg?.devDependencies?.[sdk];
  if (range !== undefined && semver.validRange(range) !== null) return range;
  return `^${sdkVersion ?? SDK_VERSION}`;
}

/** What a tarball never holds: dependencies, VCS data, tests, packed files and signatures. */
function excluded(path: string): boolean {
  const parts = path.split('/');
  if (parts.some((p) => p === 'node_modules' || p === '.git')) return true;
  const file = parts.at(-1)!;
  return (
    file === MANIFEST_FILE ||
    /\.test\.[cm]?[jt]s$/.test(file) ||
    /\.(tgz|tar\.gz|sig)$/.test(file) ||
    file === '.DS_Store'
  );
}

/** The plugin's files (POSIX paths, sorted), as `pack` puts them in the tarball. */
export async function listPluginFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((path) => !excluded(path))
    .sort();
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export async function hashFiles(dir: string, files: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of files) out[file] = await sha256File(join(dir, file));
  return out;
}

/** Parses and checks a manifest's shape; throws naming what is wrong. */
export function parseManifest(text: string, where: string): PluginManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PluginPackageError(`${where}: ${MANIFEST_FILE} is not JSON`);
  }
  const m = value as Partial<PluginManifest>;
  const ok =
    m.format === 1 &&
    typeof m.name === 'string' &&
    typeof m.version === 'string' &&
    typeof m.sdk === 'string' &&
    typeof m.files === 'object' &&
    m.files !== null &&
    Object.values(m.files).every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
  if (!ok)
    throw new PluginPackageError(`${where}: ${MANIFEST_FILE} is not a Turnpike plugin manifest (format 1)`);
  return m as PluginManifest;
}

/** Refuses a folder whose files are not exactly the manifest's, naming each difference. */
export async function checkManifest(dir: string, manifest: PluginManifest): Promise<void> {
  const problems: string[] = [];
  const present = new Set(await listPluginFiles(dir));
  for (const [file, expected] of Object.entries(manifest.files)) {
    if (!present.has(file)) problems.push(`${file} is missing`);
    else if ((await sha256File(join(dir, file))) !== expected)
      problems.push(`${file} does not match its sha256`);
    present.delete(file);
  }
  for (const extra of present) problems.push(`${extra} is not in the manifest`);
  if (problems.length > 0) {
    throw new PluginPackageError(
      `${manifest.name} ${manifest.version}: the files differ from ${MANIFEST_FILE} (${problems.join('; ')}): the tarball was changed after it was packed`,
    );
  }
}

/** Refuses a plugin whose SDK range this node's SDK does not satisfy. */
export function checkSdkRange(manifest: Pick<PluginManifest, 'name' | 'version' | 'sdk'>): void {
  if (!semver.satisfies(SDK_VERSION, manifest.sdk)) {
    throw new PluginPackageError(
      `${manifest.name} ${manifest.version} needs plugin SDK ${manifest.sdk}; this node has ${SDK_VERSION}`,
    );
  }
}
