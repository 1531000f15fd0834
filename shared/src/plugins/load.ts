/**
 * The one plugin loader: finds each enabled plugin by name (./find.ts: the bundled folder, then
 * each `plugin_paths` entry, then the node's node_modules), installs the module hooks that give
 * every plugin the node's SDK (./module-hooks.ts), imports its `schema` (control plane) or its
 * `schema` and `handler` (data plane; the control plane reads the handler's version and priority
 * only, for `GET /`) — or a module in the shape of Kong's JavaScript plugin server,
 * adapted by `@turnpike/plugin-sdk/kong` — and checks both as Kong does at load: the schema
 * against Kong's metaschema, the handler's PRIORITY and VERSION. Bundled and custom plugins take
 * the same road; the bundled folder is passed in, so shared/ never imports a plane.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type PluginHandler, SDK_VERSION } from '@turnpike/plugin-sdk';
import { fromKongJsModule, kongJsModule } from '@turnpike/plugin-sdk/kong';
import semver from 'semver';
import { ConfigInvalidError, type ConfigProblem, PluginPackageError, toError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { checkPluginSchema } from '../schema/metaschema.ts';
import type { PluginSchema, PluginSchemaLookup } from '../schema/plugin-schema.ts';
import {
  findPlugin,
  type PluginOrigin,
  type PluginPlaces,
  type PluginSource,
  placesSearched,
  pluginInFolder,
} from './find.ts';
import { installPluginModuleHooks } from './module-hooks.ts';

/** The node's own node_modules (the repository root in a checkout, /app in the images). */
export const NODE_MODULES = resolve(import.meta.dirname, '../../../node_modules');

export interface LoadPluginsOptions {
  /** The `plugins` setting: `bundled` and/or plugin names (`off` alone: none). */
  readonly enabled: readonly string[];
  /** The `plugin_paths` setting: folders holding custom plugins, one subfolder (or file) per plugin. */
  readonly pluginPaths: readonly string[];
  /** The folder of the bundled plugins and their names (what `bundled` expands to). */
  readonly bundledDir: string;
  readonly bundled: readonly string[];
  /** Where npm-installed plugins are looked for; default the node's own node_modules. */
  readonly nodeModules?: readonly string[];
  /**
   * `schema`: the schemas only (validation: `config db_import`). `schema+meta`: the schemas and,
   * where the handler module imports cleanly, its `version` and `priority` (the control plane's
   * `GET /`); a handler is never required, kept or run. `handler+schema`: the data plane's.
   */
  readonly want: 'schema' | 'schema+meta' | 'handler+schema';
  /** Where `plugins` was set, for error messages (`turnpike.conf:12`, `TURNPIKE_PLUGINS`). */
  readonly source?: string;
  /** `Loading plugin: <name>` at debug level, with version and path. */
  readonly log?: Logger;
}

export interface LoadedPlugin {
  readonly name: string;
  readonly dir: string;
  /** The file the plugin was loaded from (its schema module, or its Kong JS module). */
  readonly file: string;
  readonly origin: PluginOrigin;
  readonly schema: PluginSchema;
  /** Set when `want` was `handler+schema`, and for Kong JS modules (schema and handler are one). */
  readonly handler: PluginHandler | undefined;
  /** The handler's version and priority: with a handler, and with `schema+meta` when it imported. */
  readonly meta: PluginMeta | undefined;
}

/** What Kong's `GET /` shows of a plugin (`plugins.available_on_server`). */
export interface PluginMeta {
  readonly version: string;
  readonly priority: number;
}

/** One entry of `GET /`'s `plugins.available_on_server`: the name, and the handler's meta when known. */
export interface AvailablePlugin {
  readonly name: string;
  readonly version?: string;
  readonly priority?: number;
}

export interface LoadedPlugins {
  /** In the order they were enabled. */
  readonly plugins: ReadonlyMap<string, LoadedPlugin>;
  /** For schema validation (Admin API, declarative config, DAO). */
  readonly schemas: PluginSchemaLookup;
  /** Names, in the order they were enabled. */
  readonly names: readonly string[];
  /** For `GET /` `plugins.available_on_server`: each name with its version and priority when known. */
  readonly available: readonly AvailablePlugin[];
  /** What a data plane tells the control plane in its hello (handler versions; schema-only: `0.0.0`). */
  readonly versions: readonly { readonly name: string; readonly version: string }[];
}

/** `bundled` expanded, duplicates dropped, `off` meaning none (kong.conf's `plugins`). */
export function enabledPluginNames(enabled: readonly string[], bundled: readonly string[]): string[] {
  const names = new Set<string>();
  for (const entry of enabled) {
    const name = entry.trim();
    if (name === '' || name === 'off') continue;
    if (name === 'bundled') for (const b of bundled) names.add(b);
    else names.add(name);
  }
  return [...names];
}

function places(options: LoadPluginsOptions): PluginPlaces {
  return {
    bundledDir: options.bundledDir,
    bundled: options.bundled,
    pluginPaths: options.pluginPaths,
    nodeModules: options.nodeModules ?? [NODE_MODULES],
  };
}

/** The plugin's folder: the bundled one for a bundled name, else the first place holding it. */
export function findPluginDir(
  name: string,
  options: Pick<LoadPluginsOptions, 'bundledDir' | 'bundled' | 'pluginPaths' | 'nodeModules'>,
): string | undefined {
  return findPlugin(name, places(options as LoadPluginsOptions))?.dir;
}

/** Kong's load_plugin_handler checks: PRIORITY an integer, VERSION x.y.z; and the SDK it was written for. */
function handlerProblem(value: unknown, name: string): string | undefined {
  const h = value as PluginHandler | undefined;
  if (typeof h !== 'object' || h === null) return 'its handler module does not export a handler';
  if (h.name !== name) return `its handler is named '${String(h.name)}'`;
  if (typeof h.priority !== 'number' || !Number.isInteger(h.priority)) {
    return `Plugin "${name}" cannot be loaded because its PRIORITY field is not a valid integer number, got: "${String(h.priority)}".`;
  }
  if (typeof h.version !== 'string' || semver.valid(h.version) === null) {
    return `Plugin "${name}" cannot be loaded because its VERSION field does not follow the "x.y.z" format, got: "${String(h.version)}".`;
  }
  // A plugin written for SDK 1.4 may use what 1.0 lacks; one for 2.x a contract 1.x does not keep.
  if (h.sdkVersion !== undefined && !semver.satisfies(SDK_VERSION, `^${h.sdkVersion}`)) {
    return `the handler was written for plugin SDK ${h.sdkVersion}; this node has ${SDK_VERSION}`;
  }
  return undefined;
}

async function importExport(file: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function notInstalled(name: string, options: LoadPluginsOptions): string {
  const lines = placesSearched(name, places(options)).map((place) => `\tno plugin at '${place}'`);
  if (lines.length === 0) lines.push('\tno plugin_paths and no node_modules to search');
  return `${name} plugin is enabled but not installed;\n${lines.join('\n')}`;
}

type Outcome = LoadedPlugin | { problem: string };

async function loadKongJs(
  name: string,
  source: Extract<PluginSource, { kind: 'kong-js' }>,
): Promise<Outcome> {
  let exports: Record<string, unknown>;
  try {
    exports = await importExport(source.file);
  } catch (err) {
    return { problem: `error loading plugin schemas: on plugin '${name}': ${toError(err).message}` };
  }
  const mod = kongJsModule(exports);
  if (mod === undefined) {
    return {
      problem: `no configuration schema found for plugin: ${name} (${source.file} exports neither schema nor Kong's { Plugin, Schema, Version })`,
    };
  }
  try {
    const { handler, schema } = fromKongJsModule(mod, name);
    const meta = { version: handler.version, priority: handler.priority };
    return { name, dir: source.dir, file: source.file, origin: source.origin, schema, handler, meta };
  } catch (err) {
    return {
      problem: `${name} plugin is enabled but not installed;\n${source.file}: ${toError(err).message}`,
    };
  }
}

async function loadModule(
  name: string,
  source: Extract<PluginSource, { kind: 'module' }>,
  want: LoadPluginsOptions['want'],
): Promise<Outcome> {
  if (source.schemaFile === undefined)
    return { problem: `no configuration schema found for plugin: ${name}` };
  let schema: unknown;
  try {
    schema = (await importExport(source.schemaFile)).schema;
  } catch (err) {
    return { problem: `error loading plugin schemas: on plugin '${name}': ${toError(err).message}` };
  }
  if (schema === undefined) return { problem: `no configuration schema found for plugin: ${name}` };
  const invalid = checkPluginSchema(schema, name);
  if (invalid.length > 0) {
    return {
      problem: `error loading plugin schemas: on plugin '${name}' (${source.schemaFile}): invalid schema: ${invalid.join('; ')}`,
    };
  }
  const loaded = {
    name,
    dir: source.dir,
    file: source.schemaFile,
    origin: source.origin,
    schema: schema as PluginSchema,
  };
  if (want === 'schema') return { ...loaded, handler: undefined, meta: undefined };
  if (want === 'schema+meta') {
    return { ...loaded, handler: undefined, meta: await handlerMeta(source.handlerFile, name) };
  }
  if (source.handlerFile === undefined) {
    return { problem: `${name} plugin is enabled but not installed;\n\tno handler in ${source.dir}` };
  }
  let handler: unknown;
  try {
    handler = (await importExport(source.handlerFile)).handler;
  } catch (err) {
    return { problem: `${name} plugin is enabled but not installed;\n${toError(err).message}` };
  }
  const problem = handlerProblem(handler, name);
  if (problem !== undefined) return { problem: `${name} plugin is enabled but not installed;\n${problem}` };
  const h = handler as PluginHandler;
  return { ...loaded, handler: h, meta: { version: h.version, priority: h.priority } };
}

/** The version and priority of a handler module, or undefined when it is absent, fails to import or lacks them. */
async function handlerMeta(file: string | undefined, name: string): Promise<PluginMeta | undefined> {
  if (file === undefined) return undefined;
  try {
    const handler = (await importExport(file)).handler;
    if (handlerProblem(handler, name) !== undefined) return undefined;
    const { version, priority } = handler as PluginHandler;
    return { version, priority };
  } catch {
    return undefined;
  }
}

async function loadOne(name: string, options: LoadPluginsOptions): Promise<Outcome> {
  const source = findPlugin(name, places(options));
  if (source === undefined) return { problem: notInstalled(name, options) };
  // A TypeScript plugin inside node_modules gets its types stripped by the hooks.
  installPluginModuleHooks([source.dir]);
  const outcome =
    source.kind === 'kong-js' ? await loadKongJs(name, source) : await loadModule(name, source, options.want);
  if (!('problem' in outcome)) {
    options.log?.debug(
      { plugin: name, version: outcome.meta?.version, path: outcome.file, origin: outcome.origin },
      `Loading plugin: ${name}`,
    );
  }
  return outcome;
}

/**
 * Loads the plugin in folder `dir` as plugin `name`, with the checks of a node's start (for
 * `turnpike plugin pack` and `install`, before anything is packed or put in place); throws
 * PluginPackageError with the loader's words.
 */
export async function loadPluginAt(
  dir: string,
  name: string,
  want: LoadPluginsOptions['want'] = 'handler+schema',
): Promise<LoadedPlugin> {
  const source = pluginInFolder(resolve(dir), 'plugin_paths');
  if (source === undefined) {
    throw new PluginPackageError(
      `${dir} holds no plugin: no schema and handler modules, no package.json "turnpike" entry, no Kong JS plugin module`,
    );
  }
  installPluginModuleHooks([source.dir]);
  const outcome =
    source.kind === 'kong-js' ? await loadKongJs(name, source) : await loadModule(name, source, want);
  if ('problem' in outcome) throw new PluginPackageError(outcome.problem);
  return outcome;
}

/**
 * Loads every enabled plugin. Every failure is collected and thrown together as a
 * ConfigInvalidError naming the `plugins` key, with Kong's words.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<LoadedPlugins> {
  const names = enabledPluginNames(options.enabled, options.bundled);
  // Before any plugin is imported: the SDK resolves to this node's.
  installPluginModuleHooks();
  const results = await Promise.all(names.map((name) => loadOne(name, options)));
  const problems: ConfigProblem[] = [];
  const plugins = new Map<string, LoadedPlugin>();
  for (const result of results) {
    if ('problem' in result) {
      problems.push({ key: 'plugins', source: options.source ?? 'plugins', message: result.problem });
    } else plugins.set(result.name, result);
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return {
    plugins,
    schemas: (name) => plugins.get(name)?.schema,
    names: [...plugins.keys()],
    available: [...plugins.values()].map((p) => ({ name: p.name, ...p.meta })),
    versions: [...plugins.values()].map((p) => ({ name: p.name, version: p.meta?.version ?? '0.0.0' })),
  };
}

/**
 * Kong's check at configuration time: every plugin an entity names must be enabled on this
 * node. Returns one problem per missing name ("<name> plugin is in use but not enabled").
 */
export function pluginsNotEnabled(
  inUse: Iterable<string>,
  enabled: { has(name: string): boolean },
): string[] {
  const missing = new Set<string>();
  for (const name of inUse) if (!enabled.has(name)) missing.add(name);
  return [...missing].map((name) => `${name} plugin is in use but not enabled`);
}
