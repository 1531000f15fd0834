import { basename, resolve } from 'node:path';
import { ConfigFileError, ConfigInvalidError, type ConfigProblem } from '../errors.ts';
import { coerceValue } from './coerce.ts';
import { parseConfText } from './conf-text.ts';
import { decideDatastore } from './datastore.ts';
import { absoluteDsn } from './dsn.ts';
import { type Env, envValues, type IgnoredSetting, type RawValue } from './env.ts';
import { classifyName, hasVaultReference, refusal } from './key-names.ts';
import { isAcceptedValue } from './kong-keys.ts';
import { crossKeyIgnored, crossKeyProblems } from './rules.ts';
import {
  CONFIG_KEYS,
  type ConfigKey,
  type ConfigSources,
  type TurnpikeConfig,
  TurnpikeConfigSchema,
} from './schema.ts';
import { type ConfigWarning, configWarnings } from './warnings.ts';

export interface LoadedConfig {
  readonly config: TurnpikeConfig;
  /** Where each key's value came from: `default`, `turnpike.conf:12`, `TURNPIKE_PG_PORT`… */
  readonly sources: ConfigSources;
  /** The absolute path of the config file read, if any. */
  readonly file?: string;
  /**
   * What was accepted but will not be applied (Kong keys of no meaning here, keys not implemented
   * yet) and which of two variables won: `start` logs these, `check` prints them.
   */
  readonly warnings: readonly ConfigWarning[];
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
  const ignored: IgnoredSetting[] = [];
  if (inputs.file !== undefined) problems.push(...applyFile(inputs.file, raw, ignored));
  const fromEnv = envValues(inputs.env, inputs.envFiles ?? new Map());
  problems.push(...fromEnv.problems);
  ignored.push(...fromEnv.ignored);
  for (const [key, value] of fromEnv.values) raw.set(key, value);

  const config: Record<string, unknown> = {};
  const sources = {} as Record<ConfigKey, string>;
  for (const { name, notImplemented } of CONFIG_KEYS) {
    const value = raw.get(name) ?? { text: '', source: 'default' };
    sources[name] = value.source;
    if (value.source !== 'default' && hasVaultReference(value.text)) {
      problems.push({ key: name, source: value.source, message: refusal('vault references ({vault://…})') });
      continue;
    }
    const parsed = coerceValue(TurnpikeConfigSchema.properties[name], value.text);
    if (parsed.ok) config[name] = parsed.value;
    else problems.push({ key: name, source: value.source, message: parsed.reason });
    if (notImplemented !== undefined && value.source !== 'default') {
      ignored.push({ key: name, source: value.source, why: notImplemented });
    }
  }
  // Cross-key rules on a half-parsed config would report noise: fix the values first.
  if (problems.length > 0) throw new ConfigInvalidError(problems);

  const typed = resolvePaths(config as TurnpikeConfig, inputs.cwd);
  problems.push(...crossKeyProblems(typed, sources), ...decideDatastore(typed, sources).problems);
  if (problems.length > 0) throw new ConfigInvalidError(problems);
  ignored.push(...crossKeyIgnored(typed, sources));
  const warnings = configWarnings(ignored, fromEnv.overridden);
  return inputs.file === undefined
    ? { config: typed, sources, warnings }
    : { config: typed, sources, file: inputs.file.path, warnings };
}

/**
 * Reads the file's lines into `raw`, under Turnpike's key names (Kong's nginx-level names are
 * aliases); Kong keys that mean nothing here go to `ignored`. Returns problems for unknown,
 * refused and repeated keys.
 */
function applyFile(
  file: { path: string; text: string },
  raw: Map<ConfigKey, RawValue>,
  ignored: IgnoredSetting[],
): ConfigProblem[] {
  const name = basename(file.path);
  const parsed = parseConfText(file.text);
  if (parsed.errors.length > 0) {
    throw new ConfigFileError(parsed.errors.map((e) => `${file.path}:${e.line}: ${e.message}`).join('\n'));
  }
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, { line: number; as: string }>();
  for (const line of parsed.lines) {
    const source = `${name}:${line.line}`;
    const named = classifyName(line.key);
    if (named.kind === 'unknown') {
      const hint = named.suggestion === undefined ? '' : `; did you mean '${named.suggestion}'?`;
      problems.push({ key: line.key, source, message: `unknown configuration key${hint}` });
      continue;
    }
    const target = named.kind === 'key' ? named.key : line.key;
    const first = seen.get(target);
    if (first !== undefined) {
      const as = first.as === line.key ? '' : ` as ${first.as}`;
      problems.push({ key: line.key, source, message: `set twice (first at ${name}:${first.line}${as})` });
      continue;
    }
    seen.set(target, { line: line.line, as: line.key });
    if (named.kind === 'key') raw.set(named.key, { text: line.value, source });
    else if (named.kind === 'ignored') ignored.push({ key: line.key, source, why: named.why });
    else if (!isAcceptedValue(named, line.value)) {
      problems.push({ key: line.key, source, message: refusal(named.why) });
    }
  }
  return problems;
}

/** `prefix` and relative pglite folders are relative to where the command runs, as Kratos does for sqlite. */
function resolvePaths(config: TurnpikeConfig, cwd: string): TurnpikeConfig {
  const resolved: TurnpikeConfig = { ...config, prefix: resolve(cwd, config.prefix) };
  if (config.dsn !== undefined) resolved.dsn = absoluteDsn(config.dsn, cwd);
  return resolved;
}
