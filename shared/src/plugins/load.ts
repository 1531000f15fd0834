/**
 * The one plugin loader: finds each enabled plugin's folder by name — the bundled folder first,
 * then each `plugin_paths` entry in order — and imports its `schema` (control plane) or its
 * `schema` and `handler` (data plane). Bundled and custom plugins take the same road; the
 * bundled folder is passed in, so shared/ never imports a plane.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type PluginHandler, SDK_VERSION, sdkMajor } from '@turnpike/plugin-sdk';
import { ConfigInvalidError, type ConfigProblem, toError } from '../errors.ts';
import type { PluginSchema, PluginSchemaLookup } from '../schema/plugin-schema.ts';

export interface LoadPluginsOptions {
  /** The `plugins` setting: `bundled` and/or plugin names (`off` alone: none). */
  readonly enabled: readonly string[];
  /** The `plugin_paths` setting: folders holding custom plugins, one subfolder per plugin. */
  readonly pluginPaths: readonly string[];
  /** The folder of the bundled plugins and their names (what `bundled` expands to). */
  readonly bundledDir: string;
  readonly bundled: readonly string[];
  /** The control plane needs only schemas; the data plane both. */
  readonly want: 'schema' | 'handler+schema';
  /** Where `plugins` was set, for error messages (`turnpike.conf:12`, `TURNPIKE_PLUGINS`). */
  readonly source?: string;
}

export interface LoadedPlugin {
  readonly name: string;
  readonly dir: string;
  readonly schema: PluginSchema;
  /** Set when `want` was `handler+schema`. */
  readonly handler: PluginHandler | undefined;
}

export interface LoadedPlugins {
  /** In the order they were enabled. */
  readonly plugins: ReadonlyMap<string, LoadedPlugin>;
  /** For schema validation (Admin API, declarative config, DAO). */
  readonly schemas: PluginSchemaLookup;
  /** Names, for `GET /` `plugins.available_on_server` and `enabled_in_cluster`. */
  readonly names: readonly string[];
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

const EXTENSIONS = ['.ts', '.js', '.mjs'];

function moduleFile(dir: string, base: string): string | undefined {
  for (const ext of EXTENSIONS) {
    const file = join(dir, base + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The plugin's folder: the bundled one for a bundled name, else the first `plugin_paths` entry holding it. */
export function findPluginDir(
  name: string,
  options: Pick<LoadPluginsOptions, 'bundledDir' | 'bundled' | 'pluginPaths'>,
): string | undefined {
  const candidates = options.bundled.includes(name) ? [join(options.bundledDir, name)] : [];
  for (const path of options.pluginPaths) candidates.push(join(resolve(path), name));
  return candidates.find((dir) => moduleFile(dir, 'schema') !== undefined);
}

function isSchema(value: unknown, name: string): value is PluginSchema {
  const s = value as PluginSchema | undefined;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.name === name &&
    typeof s.fields === 'object' &&
    s.fields?.config?.type === 'record'
  );
}

function handlerProblem(value: unknown, name: string): string | undefined {
  const h = value as PluginHandler | undefined;
  if (typeof h !== 'object' || h === null) return 'handler.ts does not export a handler';
  if (h.name !== name) return `the handler is named '${String(h.name)}'`;
  if (typeof h.priority !== 'number' || !Number.isFinite(h.priority)) return 'the handler has no priority';
  if (typeof h.version !== 'string') return 'the handler has no version';
  if (h.sdkVersion !== undefined && sdkMajor(h.sdkVersion) !== sdkMajor(SDK_VERSION)) {
    return `the handler was written for plugin SDK ${h.sdkVersion}; this node has ${SDK_VERSION}`;
  }
  return undefined;
}

async function loadOne(
  name: string,
  options: LoadPluginsOptions,
): Promise<LoadedPlugin | { problem: string }> {
  const dir = findPluginDir(name, options);
  if (dir === undefined) {
    const searched = [
      ...(options.bundled.includes(name) ? [options.bundledDir] : []),
      ...options.pluginPaths,
    ];
    return {
      problem: `${name} plugin is enabled but not installed;\nno folder '${name}' with a schema in ${searched.length === 0 ? '(no plugin_paths)' : searched.join(', ')}`,
    };
  }
  let schema: unknown;
  try {
    schema = ((await import(pathToFileURL(moduleFile(dir, 'schema')!).href)) as { schema?: unknown }).schema;
  } catch (err) {
    return { problem: `error loading plugin schemas: on plugin '${name}': ${toError(err).message}` };
  }
  if (!isSchema(schema, name)) return { problem: `no configuration schema found for plugin: ${name}` };
  if (options.want === 'schema') return { name, dir, schema, handler: undefined };
  const handlerFile = moduleFile(dir, 'handler');
  if (handlerFile === undefined) {
    return { problem: `${name} plugin is enabled but not installed;\nno handler in ${dir}` };
  }
  let handler: unknown;
  try {
    handler = ((await import(pathToFileURL(handlerFile).href)) as { handler?: unknown }).handler;
  } catch (err) {
    return { problem: `${name} plugin is enabled but not installed;\n${toError(err).message}` };
  }
  const problem = handlerProblem(handler, name);
  if (problem !== undefined) return { problem: `${name} plugin is enabled but not installed;\n${problem}` };
  return { name, dir, schema, handler: handler as PluginHandler };
}

/**
 * Loads every enabled plugin. Every failure is collected and thrown together as a
 * ConfigInvalidError naming the `plugins` key, with Kong's words.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<LoadedPlugins> {
  const names = enabledPluginNames(options.enabled, options.bundled);
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
    versions: [...plugins.values()].map((p) => ({ name: p.name, version: p.handler?.version ?? '0.0.0' })),
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
