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
import { BUNDLED_PLUGINS, BUNDLED_PLUGINS_DIR } from '@turnpike/data-plane/plugins/bundled';
import { ConfigFileError, createLogger, UsageError } from '@turnpike/shared';
import { resolveDatastore } from '@turnpike/shared/config';
import { loadPlugins } from '@turnpike/shared/plugins';
import type { PluginSchemaLookup } from '@turnpike/shared/schema';
import type { Command } from 'commander';
import { type ConfigOptions, loadCliConfig, withConfigOptions } from './config.ts';
import { importProgress } from './import-progress.ts';

const DEFAULT_FILE = './kong.yml';

/** The schemas of the plugins the configuration enables (`plugins`, `plugin_paths`), as `start` loads them. */
async function pluginSchemasFor(options: ConfigOptions): Promise<PluginSchemaLookup> {
  const { config, sources } = await loadCliConfig(options);
  const loaded = await loadPlugins({
    enabled: config.plugins,
    pluginPaths: config.plugin_paths,
    bundledDir: BUNDLED_PLUGINS_DIR,
    bundled: BUNDLED_PLUGINS,
    want: 'schema',
    source: sources.plugins,
  });
  return loaded.schemas;
}

/** `turnpike config init|parse|db_import|db_export`, Kong's `kong config` with its messages. */
export function registerDeclarative(program: Command): void {
  const config = program
    .command('config')
    .description('use declarative configuration files (Kong format, _format_version "1.1", "2.1" or "3.0")');

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
    .action(async (file: string, options: ConfigOptions) => {
      await parseFile(file, await pluginSchemasFor(options));
      process.stdout.write('parse successful\n');
    });

  withConfigOptions(config.command('db_import'))
    .argument('<file>', 'the declarative configuration file')
    .description(
      'import a declarative config file into the database (upserts; keeps what the file does not name)',
    )
    .action((file: string, options: ConfigOptions) =>
      withDao(options, 'db_import', async (dao, pluginSchemas) => {
        const parsed = await parseFile(file, pluginSchemas);
        process.stdout.write('parse successful, beginning import\n');
        await importDeclarative(dao, parsed, { onProgress: importProgress(process.stdout) });
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

async function parseFile(file: string, pluginSchemas: PluginSchemaLookup) {
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
  run: (dao: ReturnType<typeof createDao>, pluginSchemas: PluginSchemaLookup) => Promise<void>,
): Promise<void> {
  const loaded = await loadCliConfig(options);
  const target = resolveDatastore(loaded.config, loaded.sources);
  if (target.kind === 'off') {
    throw new UsageError(`'turnpike config ${command}' only works with a database.`);
  }
  const log = createLogger({ level: 'warn', name: 'config', destination: process.stderr });
  const db = await openDatastore(target, { log });
  try {
    const pluginSchemas = await pluginSchemasFor(options);
    await run(createDao(db, { pluginSchemas, secrets: loaded.config.secrets_default }), pluginSchemas);
  } finally {
    await db.close();
  }
}
