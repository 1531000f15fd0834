/**
 * `turnpike plugin install <tarball|dir|npm-spec>`: puts a plugin where this node finds it — the
 * first `plugin_paths` entry (`<entry>/<name>/`), else the node's node_modules (the package's name,
 * or `turnpike-plugin-<name>`). In order: the signature (with `--verify-key`, before anything is
 * unpacked), the manifest (every file's sha256: a tampered tarball is refused), the SDK range (this
 * node's SDK must satisfy it), the plugin's own npm dependencies (if it has any), then the plugin
 * is loaded with a node's checks, and only then moved into place (one rename). An npm spec is
 * fetched with `npm pack`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PluginPackageError, PluginSignatureError } from '@turnpike/shared';
import { loadPluginAt } from '@turnpike/shared/plugins';
import semver from 'semver';
import * as tar from 'tar';
import {
  checkManifest,
  checkSdkRange,
  MANIFEST_FILE,
  parseManifest,
  pluginNameOf,
  readPackageJson,
  sdkRangeOf,
} from './manifest.ts';
import { verifyFile } from './signature.ts';

export interface InstallOptions {
  /** `plugin_paths`: the first entry is where the plugin goes. */
  readonly pluginPaths: readonly string[];
  /** The node's node_modules, when plugin_paths is empty. */
  readonly nodeModules: string;
  /** A folder to install into instead (`--target`). */
  readonly target?: string;
  /** The public key the tarball's signature must verify with. */
  readonly verifyKey?: string;
  /** The signature file; default `<tarball>.sig`. */
  readonly signature?: string;
  /** Replace an installed version. */
  readonly force?: boolean;
}

export interface Installed {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** A plugin unpacked (or found) in a folder, checked up to loading. */
interface Unpacked {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly packageName: string | undefined;
}

async function isDirectory(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

async function run(command: string, args: string[], cwd: string): Promise<string> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0)
    throw new PluginPackageError(`${command} ${args.join(' ')} failed: ${stderr.trim() || stdout.trim()}`);
  return stdout;
}

/** A folder as it is: its name, version and SDK range from package.json or the handler. */
async function fromFolder(dir: string): Promise<Unpacked> {
  const pkg = await readPackageJson(dir);
  const name = pluginNameOf(dir, pkg);
  const version = pkg?.version ?? (await loadPluginAt(dir, name)).handler?.version ?? '';
  if (semver.valid(version) === null)
    throw new PluginPackageError(`${name}: no x.y.z version in package.json or the handler`);
  checkSdkRange({ name, version, sdk: sdkRangeOf(pkg, undefined) });
  return { dir, name, version, packageName: pkg?.name };
}

/** Unpacks a tarball into `into`: Turnpike's format (manifest checked) or an npm package. */
async function unpack(file: string, into: string): Promise<Unpacked> {
  try {
    // node-tar strips leading '/' and skips entries reaching out with '..'.
    await tar.x({ file, cwd: into, strict: true });
  } catch (err) {
    throw new PluginPackageError(`${file} is not a gzipped tarball: ${(err as Error).message}`);
  }
  const top = await readdir(into);
  if (top.length !== 1)
    throw new PluginPackageError(`${file} holds ${top.length} top-level entries, not one plugin folder`);
  const dir = join(into, top[0]!);
  const manifestFile = join(dir, MANIFEST_FILE);
  const text = await readFile(manifestFile, 'utf8').catch(() => undefined);
  if (text === undefined) {
    // An npm tarball (npm pack): package/, no manifest of ours.
    if ((await readPackageJson(dir)) === undefined) {
      throw new PluginPackageError(
        `${file} has neither ${MANIFEST_FILE} (turnpike plugin pack) nor package.json (npm pack)`,
      );
    }
    return fromFolder(dir);
  }
  const manifest = parseManifest(text, file);
  await checkManifest(dir, manifest);
  checkSdkRange(manifest);
  const pkg = await readPackageJson(dir);
  return { dir, name: manifest.name, version: manifest.version, packageName: pkg?.name };
}

function targetOf(plugin: Unpacked, options: InstallOptions): string {
  if (options.target !== undefined) return resolve(options.target);
  const first = options.pluginPaths[0];
  if (first !== undefined) return join(resolve(first), plugin.name);
  return join(options.nodeModules, plugin.packageName ?? `turnpike-plugin-${plugin.name}`);
}

export async function installPlugin(spec: string, options: InstallOptions): Promise<Installed> {
  const work = await mkdtemp(join(tmpdir(), 'turnpike-install-'));
  try {
    let source = resolve(spec);
    const kind = await isDirectory(source);
    if (kind === undefined) {
      // Neither file nor folder: an npm spec (name, name@range, git URL…), fetched as a tarball.
      if (options.verifyKey !== undefined) {
        throw new PluginSignatureError(
          `--verify-key needs a tarball: run npm pack ${spec}, check its signature, then install the .tgz`,
        );
      }
      const packed = JSON.parse(
        await run('npm', ['pack', spec, '--pack-destination', work, '--json'], work),
      ) as {
        filename: string;
      }[];
      source = join(work, packed[0]!.filename);
    } else if (kind && options.verifyKey !== undefined) {
      throw new PluginSignatureError(
        `--verify-key needs a tarball, and ${spec} is a folder: pack and sign it first`,
      );
    }
    if (options.verifyKey !== undefined) await verifyFile(source, options.verifyKey, options.signature);
    const plugin =
      kind === true ? await fromFolder(source) : await unpack(source, await mkdtemp(join(work, 'x-')));

    const target = targetOf(plugin, options);
    if ((await isDirectory(target)) !== undefined && options.force !== true) {
      throw new PluginPackageError(
        `${plugin.name} is already installed at ${target} (use --force to replace it)`,
      );
    }
    await mkdir(dirname(target), { recursive: true });
    const staging = `${target}.installing-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await cp(plugin.dir, staging, {
      recursive: true,
      filter: (path) => !path.split(/[\\/]/).includes('node_modules'),
    });
    try {
      const pkg = await readPackageJson(staging);
      if (Object.keys(pkg?.dependencies ?? {}).length > 0) {
        await run(
          'npm',
          ['install', '--omit=dev', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund'],
          staging,
        );
      }
      // Loaded with a node's checks where it will live (its own node_modules in place), before the swap.
      await loadPluginAt(staging, plugin.name);
      await rm(target, { recursive: true, force: true });
      await rename(staging, target);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    return { name: plugin.name, version: plugin.version, dir: target };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
