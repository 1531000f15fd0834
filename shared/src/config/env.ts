import type { ConfigProblem } from '../errors.ts';
import { CONFIG_KEYS, type ConfigKey } from './schema.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** A value as written, before parsing, and where it came from. */
export interface RawValue {
  readonly text: string;
  readonly source: string;
}

export const ENV_PREFIX = 'TURNPIKE_';

export const envName = (key: ConfigKey): string => `${ENV_PREFIX}${key.toUpperCase()}`;
export const envFileName = (key: ConfigKey): string => `${envName(key)}_FILE`;

/** The paths named by `TURNPIKE_<KEY>_FILE` variables of known keys: what the caller must read. */
export function envFilePaths(env: Env): string[] {
  const paths: string[] = [];
  for (const { name } of CONFIG_KEYS) {
    const path = env[envFileName(name)];
    if (path !== undefined && path !== '') paths.push(path);
  }
  return paths;
}

/**
 * The values set by `TURNPIKE_<KEY>` and `TURNPIKE_<KEY>_FILE` (the file's content, trailing
 * newlines trimmed). `files` maps each path from envFilePaths to its content or read error.
 * Variables that name no key are ignored: TURNPIKE_TEST_PG and friends are not config.
 */
export function envValues(
  env: Env,
  files: ReadonlyMap<string, string | Error>,
): { values: Map<ConfigKey, RawValue>; problems: ConfigProblem[] } {
  const values = new Map<ConfigKey, RawValue>();
  const problems: ConfigProblem[] = [];
  for (const { name } of CONFIG_KEYS) {
    const direct = env[envName(name)];
    const path = env[envFileName(name)];
    if (direct !== undefined && path !== undefined) {
      problems.push({
        key: name,
        source: `${envName(name)} and ${envFileName(name)}`,
        message: `both ${envName(name)} and ${envFileName(name)} are set: set only one`,
      });
      continue;
    }
    if (direct !== undefined) {
      values.set(name, { text: direct.trim(), source: envName(name) });
      continue;
    }
    if (path === undefined) continue;
    const source = `${envFileName(name)} (${path})`;
    const content = path === '' ? new Error('the variable is empty') : files.get(path);
    if (content === undefined || content instanceof Error) {
      const reason = content?.message ?? 'the file was not read';
      problems.push({ key: name, source, message: `cannot read the file: ${reason}` });
      continue;
    }
    values.set(name, { text: content.replace(/[\r\n]+$/, '').trim(), source });
  }
  return { values, problems };
}
