import { basename, resolve } from 'node:path';
import { ConfigFileError, ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { coerceValue } from './coerce.ts';
import { parseConfText } from './conf-text.ts';
import { decideDatastore } from './datastore.ts';
import { absoluteDsn } from './dsn.ts';
import { type Env, envValues, type RawValue } from './env.ts';
import { crossKeyProblems } from './rules.ts';
import {
  CONFIG_KEYS,
  type ConfigKey,
  type ConfigSources,
  isConfigKey,
  type TurnpikeConfig,
  TurnpikeConfigSchema,
} from './schema.ts';
import { closestName } from './suggest.ts';

export interface LoadedConfig {
  readonly config: TurnpikeConfig;
  /** Where each key's value came from: `default`, `turnpike.conf:12`, `TURNPIKE_PG_PORT`… */
  readonly sources: ConfigSources;
  /** The absolute path of the config file read, if any. */
  readonly file?: string;
}

export interface ConfigInputs {
  /** The config file: its absolute path and its text. */
  readonly file?: { readonly path: string; readonly text: string };
  readonly env: Env;
  /** Contents (or read errors) of the files named by TURNPIKE_<KEY>_FILE, keyed by path. */
  readonly envFiles?: ReadonlyMap<string, string | Error>;
  /** Relative `prefix` and `pglite://./dir` are resolved against it. */
  readonly cwd: string;
}

/**
 * The pure core of loadConfig: defaults < file < environment, every value parsed by its
 * schema, then the cross-key rules. Throws ConfigFileError for a malformed file, else
 * ConfigInvalidError with every problem found.
 */
export function buildConfig(inputs: ConfigInputs): LoadedConfig {
  const raw = new Map<ConfigKey, RawValue>();
  for (const key of CONFIG_KEYS) {
    if (key.default !== undefined) raw.set(key.name, { text: key.default, source: 'default' });
  }

  const problems: ConfigProblem[] = [];
  if (inputs.file !== undefined) problems.push(...applyFile(inputs.file, raw));
  const fromEnv = envValues(inputs.env, inputs.envFiles ?? new Map());
  problems.push(...fromEnv.problems);
  for (const [key, value] of fromEnv.values) raw.set(key, value);

  const config: Record<string, unknown> = {};
  const sources = {} as Record<ConfigKey, string>;
  for (const { name } of CONFIG_KEYS) {
    const value = raw.get(name) ?? { text: '', source: 'default' };
    sources[name] = value.source;
    const parsed = coerceValue(TurnpikeConfigSchema.properties[name], value.text);
    if (parsed.ok) config[name] = parsed.value;
    else problems.push({ key: name, source: value.source, message: parsed.reason });
  }
  // Cross-key rules on a half-parsed config would report noise: fix the values first.
  if (problems.length > 0) throw new ConfigInvalidError(problems);

  const typed = resolvePaths(config as TurnpikeConfig, inputs.cwd);
  problems.push(...crossKeyProblems(typed, sources), ...decideDatastore(typed, sources).problems);
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  return inputs.file === undefined
    ? { config: typed, sources }
    : { config: typed, sources, file: inputs.file.path };
}

/** Reads the file's lines into `raw`; returns problems for unknown and repeated keys. */
function applyFile(file: { path: string; text: string }, raw: Map<ConfigKey, RawValue>): ConfigProblem[] {
  const name = basename(file.path);
  const parsed = parseConfText(file.text);
  if (parsed.errors.length > 0) {
    throw new ConfigFileError(parsed.errors.map((e) => `${file.path}:${e.line}: ${e.message}`).join('\n'));
  }
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  for (const line of parsed.lines) {
    const source = `${name}:${line.line}`;
    if (!isConfigKey(line.key)) {
      const suggestion = closestName(
        line.key,
        CONFIG_KEYS.map((k) => k.name),
      );
      const hint = suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
      problems.push({ key: line.key, source, message: `unknown configuration key${hint}` });
      continue;
    }
    const first = seen.get(line.key);
    if (first !== undefined) {
      problems.push({ key: line.key, source, message: `set twice (first at ${name}:${first})` });
      continue;
    }
    seen.set(line.key, line.line);
    raw.set(line.key, { text: line.value, source });
  }
  return problems;
}

/** `prefix` and relative pglite folders are relative to where the command runs, as Kratos does for sqlite. */
function resolvePaths(config: TurnpikeConfig, cwd: string): TurnpikeConfig {
  const resolved: TurnpikeConfig = { ...config, prefix: resolve(cwd, config.prefix) };
  if (config.dsn !== undefined) resolved.dsn = absoluteDsn(config.dsn, cwd);
  return resolved;
}
