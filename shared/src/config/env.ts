import type { ConfigProblem } from '../errors.ts';
import { classifyName, isKnownName, refusal } from './key-names.ts';
import { isAcceptedValue } from './kong-keys.ts';
import type { ConfigKey } from './schema.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** A value as written, before parsing, and where it came from. */
export interface RawValue {
  readonly text: string;
  readonly source: string;
}

/** A setting accepted without effect: a Kong key of no meaning here, or one not implemented yet. */
export interface IgnoredSetting {
  readonly key: string;
  readonly source: string;
  readonly why: string;
}

/** Two variables naming one key: `winner` is applied, `loser` is not. */
export interface EnvOverride {
  readonly key: string;
  readonly winner: string;
  readonly loser: string;
}

export const ENV_PREFIX = 'TURNPIKE_';
/** Kong's variables, read as aliases: what a docker-kong user already sets. */
export const KONG_ENV_PREFIX = 'KONG_';
/** Highest precedence first. */
const PREFIXES = [ENV_PREFIX, KONG_ENV_PREFIX] as const;

export const envName = (key: ConfigKey): string => `${ENV_PREFIX}${key.toUpperCase()}`;
export const envFileName = (key: ConfigKey): string => `${envName(key)}_FILE`;

/** One TURNPIKE_* / KONG_* variable that names a key Turnpike or Kong knows. */
interface EnvSetting {
  /** The variable, e.g. `KONG_PG_PASSWORD_FILE`. */
  readonly variable: string;
  readonly prefix: (typeof PREFIXES)[number];
  /** The key name it carries, lowercase: `pg_password`. */
  readonly name: string;
  /** Set by `<PREFIX><KEY>_FILE`: `value` is then a path whose content is the value. */
  readonly file: boolean;
  readonly value: string;
}

/**
 * The variables of either prefix that name a known key, directly or with `_FILE`. A variable
 * that names no key (TURNPIKE_CONF, TURNPIKE_TEST_PG, KONG_VERSION, Kubernetes' KONG_PORT_…) is
 * not configuration, as Kong ignores unknown KONG_* variables.
 */
function envSettings(env: Env): EnvSetting[] {
  const settings: EnvSetting[] = [];
  // Sorted, so that problems and warnings come in the same order whatever the environment's.
  for (const [variable, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (value === undefined) continue;
    const prefix = PREFIXES.find((p) => variable.startsWith(p));
    if (prefix === undefined) continue;
    const rest = variable.slice(prefix.length);
    if (rest === '' || rest !== rest.toUpperCase()) continue;
    const name = rest.toLowerCase();
    if (isKnownName(name)) {
      settings.push({ variable, prefix, name, file: false, value });
    } else if (name.endsWith('_file') && isKnownName(name.slice(0, -'_file'.length))) {
      settings.push({ variable, prefix, name: name.slice(0, -'_file'.length), file: true, value });
    }
  }
  return settings;
}

/** The paths named by `TURNPIKE_<KEY>_FILE` and `KONG_<KEY>_FILE` variables: what the caller must read. */
export function envFilePaths(env: Env): string[] {
  return envSettings(env)
    .filter((s) => s.file && s.value !== '')
    .map((s) => s.value);
}

export interface EnvRead {
  readonly values: Map<ConfigKey, RawValue>;
  readonly ignored: IgnoredSetting[];
  readonly overridden: EnvOverride[];
  readonly problems: ConfigProblem[];
}

/**
 * The values set by `TURNPIKE_<KEY>` / `TURNPIKE_<KEY>_FILE`, and by Kong's `KONG_<KEY>` /
 * `KONG_<KEY>_FILE` (docker-kong's entrypoint reads a `_FILE` variable for every key), under
 * Turnpike's or Kong's key names. A file's content has its trailing newlines trimmed.
 * TURNPIKE_* wins over KONG_* for the same key (`overridden` says so); within one prefix, the
 * value and its `_FILE`, or two names of one key, are an error. `files` maps each path from
 * envFilePaths to its content or read error.
 */
export function envValues(env: Env, files: ReadonlyMap<string, string | Error>): EnvRead {
  const read: EnvRead = { values: new Map(), ignored: [], overridden: [], problems: [] };
  const byTarget = new Map<string, EnvSetting[]>();
  for (const setting of envSettings(env)) {
    const named = classifyName(setting.name);
    const target = named.kind === 'key' ? named.key : setting.name;
    byTarget.set(target, [...(byTarget.get(target) ?? []), setting]);
  }
  for (const [target, settings] of byTarget) {
    const chosen = choose(target, settings, read);
    if (chosen === undefined) continue;
    const value = readValue(chosen, files);
    if (typeof value !== 'string') {
      read.problems.push({ key: target, source: sourceOf(chosen), message: value.problem });
      continue;
    }
    apply(chosen, { text: value, source: sourceOf(chosen) }, read);
  }
  return read;
}

/** The setting that applies to one key, or undefined after reporting why none does. */
function choose(target: string, settings: EnvSetting[], read: EnvRead): EnvSetting | undefined {
  for (const prefix of PREFIXES) {
    const mine = settings.filter((s) => s.prefix === prefix);
    if (mine.length === 0) continue;
    if (mine.length > 1) {
      const names = mine.map((s) => s.variable).sort();
      const message =
        mine.length === 2 && mine[0]?.name === mine[1]?.name
          ? `both ${names.join(' and ')} are set: set only one`
          : `${names.join(', ')} all name this key: set only one`;
      read.problems.push({ key: target, source: names.join(' and '), message });
      return undefined;
    }
    const winner = mine[0] as EnvSetting;
    for (const loser of settings.filter((s) => s.prefix !== prefix)) {
      read.overridden.push({ key: target, winner: winner.variable, loser: loser.variable });
    }
    return winner;
  }
  return undefined;
}

/** The setting's value (a `_FILE` variable's: the file's content), or why there is none. */
function readValue(
  setting: EnvSetting,
  files: ReadonlyMap<string, string | Error>,
): string | { readonly problem: string } {
  if (!setting.file) return setting.value.trim();
  if (setting.value === '') return { problem: 'cannot read the file: the variable is empty' };
  const content = files.get(setting.value);
  if (content === undefined || content instanceof Error) {
    return { problem: `cannot read the file: ${content?.message ?? 'the file was not read'}` };
  }
  return content.replace(/[\r\n]+$/, '').trim();
}

function sourceOf(setting: EnvSetting): string {
  return setting.file ? `${setting.variable} (${setting.value})` : setting.variable;
}

/** Files the value under its key, or as an ignored or refused Kong setting. */
function apply(setting: EnvSetting, value: RawValue, read: EnvRead): void {
  const named = classifyName(setting.name);
  if (named.kind === 'key') read.values.set(named.key, value);
  else if (named.kind === 'ignored')
    read.ignored.push({ key: setting.name, source: value.source, why: named.why });
  else if (named.kind === 'refused' && !isAcceptedValue(named, value.text)) {
    read.problems.push({ key: setting.name, source: value.source, message: refusal(named.why) });
  }
}
