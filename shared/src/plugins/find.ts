/**
 * Where a plugin is found, by name, in this order (the first hit wins):
 *
 * 1. the bundled folder, for a bundled name (a custom plugin never shadows a bundled one);
 * 2. each `plugin_paths` entry: a folder `<name>/` — with `schema` and `handler` modules
 *    (`.ts`, `.mts`, `.js`, `.mjs`, `.cjs`), or a package.json naming them (`"turnpike":
 *    {"handler", "schema"}`), or else a module in the shape of Kong's JavaScript plugin server
 *    (package.json `main`, or `index.*`) — or a single file `<name>.js` / `.cjs` / `.mjs` in the
 *    shape of Kong's JavaScript plugin server (as Kong's `pluginserver_js_plugins_dir` holds them);
 * 3. each `node_modules` folder of the node: the package `turnpike-plugin-<name>` (scoped or not),
 *    or any package whose package.json says `"turnpike": {"plugin": "<name>"}`, read as a folder of 2.
 *
 * Pure of imports: only the file system is read, nothing is loaded.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export type PluginOrigin = 'bundled' | 'plugin_paths' | 'node_modules';

/** A plugin folder with a schema module and (maybe) a handler module. */
export interface ModulePluginSource {
  readonly kind: 'module';
  readonly origin: PluginOrigin;
  readonly dir: string;
  /** Undefined for a folder with a handler and no schema ("no configuration schema found"). */
  readonly schemaFile: string | undefined;
  readonly handlerFile: string | undefined;
}

/** A module in the shape of Kong's JS plugin server (`module.exports = { Plugin, Schema, … }`). */
export interface KongJsPluginSource {
  readonly kind: 'kong-js';
  readonly origin: PluginOrigin;
  readonly dir: string;
  readonly file: string;
}

export type PluginSource = ModulePluginSource | KongJsPluginSource;

export interface PluginPlaces {
  readonly bundledDir: string;
  readonly bundled: readonly string[];
  readonly pluginPaths: readonly string[];
  /** The node's node_modules folders, searched after plugin_paths. */
  readonly nodeModules: readonly string[];
}

const MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'];
const KONG_FILE_EXTENSIONS = ['.js', '.cjs', '.mjs'];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `<dir>/<base>.<ext>` for the first extension present. */
export function moduleFile(dir: string, base: string, extensions = MODULE_EXTENSIONS): string | undefined {
  for (const ext of extensions) {
    const file = join(dir, base + ext);
    if (isFile(file)) return file;
  }
  return undefined;
}

interface PackageJson {
  readonly name?: unknown;
  readonly main?: unknown;
  readonly turnpike?: { readonly plugin?: unknown; readonly handler?: unknown; readonly schema?: unknown };
}

function readPackage(dir: string): PackageJson | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

/** A folder read as one plugin: schema + handler, or a Kong-shaped module. */
export function pluginInFolder(dir: string, origin: PluginOrigin): PluginSource | undefined {
  const pkg = readPackage(dir);
  const declared = pkg?.turnpike;
  if (typeof declared?.schema === 'string') {
    const schemaFile = resolve(dir, declared.schema);
    const handlerFile = typeof declared.handler === 'string' ? resolve(dir, declared.handler) : undefined;
    if (isFile(schemaFile)) return { kind: 'module', origin, dir, schemaFile, handlerFile };
  }
  const schemaFile = moduleFile(dir, 'schema');
  if (schemaFile !== undefined) {
    return { kind: 'module', origin, dir, schemaFile, handlerFile: moduleFile(dir, 'handler') };
  }
  const main = typeof pkg?.main === 'string' ? resolve(dir, pkg.main) : undefined;
  const file = main !== undefined && isFile(main) ? main : moduleFile(dir, 'index', KONG_FILE_EXTENSIONS);
  if (file !== undefined) return { kind: 'kong-js', origin, dir, file };
  const handlerFile = moduleFile(dir, 'handler');
  return handlerFile === undefined
    ? undefined
    : { kind: 'module', origin, dir, schemaFile: undefined, handlerFile };
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** The packages of a node_modules folder (scoped ones included), as folders. */
function packagesIn(nodeModules: string): string[] {
  const dirs: string[] = [];
  for (const entry of listDir(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const path = join(nodeModules, entry);
    if (entry.startsWith('@')) for (const scoped of listDir(path)) dirs.push(join(path, scoped));
    else dirs.push(path);
  }
  return dirs;
}

/** The package folder in `nodeModules` that provides plugin `name`, if any. */
function packageFor(nodeModules: string, name: string): string | undefined {
  let declared: string | undefined;
  for (const dir of packagesIn(nodeModules)) {
    const base = basename(dir);
    if (base === `turnpike-plugin-${name}` && isDir(dir)) return dir;
    if (declared === undefined && readPackage(dir)?.turnpike?.plugin === name) declared = dir;
  }
  return declared;
}

/** Finds plugin `name` in the places above; undefined when none holds it. */
export function findPlugin(name: string, places: PluginPlaces): PluginSource | undefined {
  if (places.bundled.includes(name)) {
    const found = pluginInFolder(join(places.bundledDir, name), 'bundled');
    if (found !== undefined) return found;
  }
  for (const path of places.pluginPaths) {
    const folder = join(resolve(path), name);
    if (isDir(folder)) {
      const found = pluginInFolder(folder, 'plugin_paths');
      if (found !== undefined) return found;
    }
    const file = moduleFile(resolve(path), name, KONG_FILE_EXTENSIONS);
    if (file !== undefined) return { kind: 'kong-js', origin: 'plugin_paths', dir: resolve(path), file };
  }
  for (const nodeModules of places.nodeModules) {
    const dir = packageFor(nodeModules, name);
    const found = dir === undefined ? undefined : pluginInFolder(dir, 'node_modules');
    if (found !== undefined) return found;
  }
  return undefined;
}

/** What was searched for `name`, for "plugin is enabled but not installed". */
export function placesSearched(name: string, places: PluginPlaces): string[] {
  return [
    ...(places.bundled.includes(name) ? [join(places.bundledDir, name)] : []),
    ...places.pluginPaths.map((p) => join(resolve(p), name)),
    ...places.nodeModules.map((n) => join(n, `turnpike-plugin-${name}`)),
  ];
}
