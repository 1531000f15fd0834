import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createDao } from '@turnpike/control-plane/dao';
import {
  DeclarativeParseError,
  EXAMPLE_CONFIG,
  exportDeclarative,
  importDeclarative,
  parseDeclarative,
} from '@turnpike/control-plane/declarative';
import { openDatastore } from '@turnpike/control-plane/store';
import { ConfigFileError, createLogger, UsageError } from '@turnpike/shared';
import { resolveDatastore } from '@turnpike/shared/config';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import type { Command } from 'commander';
import { type ConfigOptions, loadCliConfig, withConfigOptions } from './config.ts';

const DEFAULT_FILE = './kong.yml';

// TODO(lead): the plugin loader (shared/plugins) is not there yet; until it is, plugins entities
// in a file are refused as "not enabled". Wire it here as `start` will.
const pluginSchemas: PluginSchemaLookup = () => undefined;

/** `turnpike config init|parse|db_import|db_export`, Kong's `kong config` with its messages. */
export function registerDeclarative(program: Command): void {
  const config = program
    .command('config')
    .description('use declarative configuration files (Kong format, _format_version "3.0")');

  config
    .command('init')
    .argument('[file]', 'where to write the example', DEFAULT_FILE)
    .description('generate an example declarative configuration file to get you started')
    .action(async (file: string) => {
      const path = resolve(file);
      if (existsSync(path)) throw new UsageError(`${path} already exists.\nWill not overwrite it.`);
      await writeFile(path, EXAMPLE_CONFIG, 'utf8');
    });

  withConfigOptions(config.command('parse'))
    .argument('<file>', 'the declarative configuration file')
    .description('parse a declarative config file (check its syntax) but do not load it')
    .action(async (file: string) => {
      await parseFile(file);
      process.stdout.write('parse successful\n');
    });

  withConfigOptions(config.command('db_import'))
    .argument('<file>', 'the declarative configuration file')
    .description(
      'import a declarative config file into the database (upserts; keeps what the file does not name)',
    )
    .action((file: string, options: ConfigOptions) =>
      withDao(options, 'db_import', async (dao) => {
        const parsed = await parseFile(file);
        process.stdout.write('parse successful, beginning import\n');
        await importDeclarative(dao, parsed);
        process.stdout.write('import successful\n');
      }),
    );

  withConfigOptions(config.command('db_export'))
    .argument('[file]', 'where to write (stdout when omitted; .json for JSON)')
    .description('export the database into a declarative config file')
    .action((file: string | undefined, options: ConfigOptions) =>
      withDao(options, 'db_export', async (dao) => {
        const path = file === undefined ? undefined : resolve(file);
        if (path !== undefined && existsSync(path))
          throw new UsageError(`${path} already exists. Will not overwrite it.`);
        const text = await exportDeclarative(dao, { format: path?.endsWith('.json') ? 'json' : 'yaml' });
        if (path === undefined) process.stdout.write(text);
        else await writeFile(path, text, 'utf8');
      }),
    );
}

async function parseFile(file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return parseDeclarative(text, { filename: file, pluginSchemas });
  } catch (err) {
    if (err instanceof DeclarativeParseError) {
      throw new ConfigFileError(`Failed parsing:\n${err.describe(file)}`);
    }
    throw err;
  }
}

async function withDao(
  options: ConfigOptions,
  command: string,
  run: (dao: ReturnType<typeof createDao>) => Promise<void>,
): Promise<void> {
  const loaded = await loadCliConfig(options);
  const target = resolveDatastore(loaded.config, loaded.sources);
  if (target.kind === 'off') {
    throw new UsageError(`'turnpike config ${command}' only works with a database.`);
  }
  const log = createLogger({ level: 'warn', name: 'config', destination: process.stderr });
  const db = await openDatastore(target, { log });
  try {
    await run(createDao(db, { pluginSchemas, secrets: loaded.config.secrets_default }));
  } finally {
    await db.close();
  }
}
