/**
 * The declarative configuration a node starts from: `declarative_config` (a file) or, when no
 * file is set, `declarative_config_string`, as Kong's init.lua reads them (the file wins). A
 * file that cannot be read or parsed stops the start, naming the file and each error, in
 * Kong's words (`error parsing declarative config file kong.yml:` …).
 */
import { readFile } from 'node:fs/promises';
import { ConfigFileError } from '@turnpike/shared';
import type { TurnpikeConfig } from '@turnpike/shared/config';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import { DeclarativeParseError, parseDeclarative } from '../declarative/parse.ts';
import type { DeclarativeConfig } from '../declarative/types.ts';

export interface InitialDeclarative {
  readonly config: DeclarativeConfig;
  readonly text: string;
  /** The file's path, or `declarative_config_string`. */
  readonly origin: string;
}

/** Undefined when neither key is set (the node starts empty, as Kong's does). */
export async function readInitialDeclarative(
  config: Pick<TurnpikeConfig, 'declarative_config' | 'declarative_config_string'>,
  pluginSchemas: PluginSchemaLookup,
): Promise<InitialDeclarative | undefined> {
  const file = config.declarative_config;
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigFileError(
        `error parsing declarative config file ${file}: cannot read it: ${(err as Error).message}`,
      );
    }
    return {
      config: parsed(text, file, pluginSchemas, `declarative config file ${file}`),
      text,
      origin: file,
    };
  }
  const text = config.declarative_config_string;
  if (text === undefined || text.trim() === '') return undefined;
  return {
    config: parsed(text, undefined, pluginSchemas, 'declarative string'),
    text,
    origin: 'declarative_config_string',
  };
}

function parsed(
  text: string,
  filename: string | undefined,
  pluginSchemas: PluginSchemaLookup,
  what: string,
): DeclarativeConfig {
  try {
    return parseDeclarative(text, { pluginSchemas, ...(filename === undefined ? {} : { filename }) });
  } catch (err) {
    if (err instanceof DeclarativeParseError)
      throw new ConfigFileError(`error parsing ${what}:\n${err.describe(filename)}`);
    throw err;
  }
}
