import { access, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigFileError, ConfigInvalidError, toError } from '../errors.ts';
import { buildConfig, type LoadedConfig } from './build.ts';
import { type Env, envFilePaths } from './env.ts';

/** Read when neither a file nor TURNPIKE_CONF is given, if it exists (Kong reads /etc/kong/kong.conf). */
export const DEFAULT_CONFIG_PATHS = ['/etc/turnpike/turnpike.conf'] as const;

export interface LoadConfigOptions {
  /** The config file (`-c`); relative to cwd. Must exist when given. */
  readonly file?: string;
  /** The environment: TURNPIKE_* variables and TURNPIKE_CONF. Pass process.env from main(). */
  readonly env: Env;
  readonly cwd: string;
  /** Tried in order when no file is given; default DEFAULT_CONFIG_PATHS. */
  readonly defaultPaths?: readonly string[];
}

/**
 * Loads turnpike.conf: defaults < config file < TURNPIKE_<KEY> / TURNPIKE_<KEY>_FILE.
 * The file is `options.file`, else `TURNPIKE_CONF`, else the first default path that exists.
 * Throws ConfigFileError (file missing or malformed) or ConfigInvalidError (all problems at once).
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const path = await findConfigFile(options);
  const file = path === undefined ? undefined : { path, text: await readConfigFile(path) };
  const envFiles = new Map<string, string | Error>();
  await Promise.all(
    envFilePaths(options.env).map(async (p) => {
      envFiles.set(p, await readFile(resolve(options.cwd, p), 'utf8').catch(toError));
    }),
  );
  const loaded = buildConfig({
    ...(file === undefined ? {} : { file }),
    env: options.env,
    envFiles,
    cwd: options.cwd,
  });
  await checkHostsFile(loaded, options.cwd);
  return loaded;
}

/** Kong's check of dns_hostsfile (kong/conf_loader/parse.lua): the file must exist. */
async function checkHostsFile(loaded: LoadedConfig, cwd: string): Promise<void> {
  const path = resolve(cwd, loaded.config.dns_hostsfile);
  const isFile = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  if (isFile) return;
  const source = loaded.sources.dns_hostsfile;
  throw new ConfigInvalidError([{ key: 'dns_hostsfile', source, message: `file does not exist: ${path}` }]);
}

async function findConfigFile(options: LoadConfigOptions): Promise<string | undefined> {
  const given = options.file ?? nonEmpty(options.env.TURNPIKE_CONF);
  if (given !== undefined) return resolve(options.cwd, given);
  for (const candidate of options.defaultPaths ?? DEFAULT_CONFIG_PATHS) {
    const path = resolve(options.cwd, candidate);
    if (
      await access(path).then(
        () => true,
        () => false,
      )
    ) {
      return path;
    }
  }
  return undefined;
}

async function readConfigFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (thrown) {
    const cause = toError(thrown);
    const code = (cause as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : cause.message;
    throw new ConfigFileError(`cannot read configuration file ${path}: ${why}`, { cause });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
