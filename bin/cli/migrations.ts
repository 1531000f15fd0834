import { bootstrap, finish, list, openDatastore, reset, up } from '@turnpike/control-plane/store';
import { createLogger, UsageError } from '@turnpike/shared';
import { type LoadedConfig, resolveDatastore } from '@turnpike/shared/config';
import type { Command } from 'commander';
import { type ConfigOptions, loadCliConfig, withConfigOptions } from './config.ts';

interface MigrationsOptions extends ConfigOptions {
  /** Kratos's `-e`: the DSN must come from the environment (TURNPIKE_DSN). */
  readEnvironment?: boolean;
  yes?: boolean;
  lockTimeout: string;
}

/** `turnpike migrations bootstrap|up|finish|list|status|reset`, with Kong's verbs and messages. */
export function registerMigrations(program: Command): void {
  const migrations = program
    .command('migrations')
    .description('manage the database schema (Kong verbs: bootstrap, up, finish, list, status, reset)');

  const verb = (name: string, description: string) =>
    withConfigOptions(migrations.command(name).description(description))
      .option(
        '-e, --read-environment',
        'read the database DSN from the environment variable TURNPIKE_DSN (as Ory Kratos)',
      )
      .option('--lock-timeout <seconds>', 'how long to wait for another node that is migrating', '60');

  verb('bootstrap', 'bootstrap a new, empty database').action((o: MigrationsOptions) =>
    withDatastore(o, async (db, log, lockTimeoutMs) => print(await bootstrap(db, log, { lockTimeoutMs }))),
  );
  verb('up', 'run every pending migration (the `up` part)')
    .option('-y, --yes', 'assume yes (accepted for Kong compatibility; up never prompts)')
    .action((o: MigrationsOptions) =>
      withDatastore(o, async (db, log, lockTimeoutMs) => print(await up(db, log, { lockTimeoutMs }))),
    );
  verb('finish', 'finish pending migrations (their `teardown` part)').action((o: MigrationsOptions) =>
    withDatastore(o, async (db, log, lockTimeoutMs) => print(await finish(db, log, { lockTimeoutMs }))),
  );
  for (const name of ['list', 'status']) {
    verb(
      name,
      'list executed and pending migrations; exit code 3 = needs bootstrap, 4 = pending, 5 = new',
    ).action((o: MigrationsOptions) =>
      withDatastore(o, async (db) => {
        const listing = await list(db);
        print(listing);
        process.exitCode = listing.exitCode;
      }),
    );
  }
  verb('reset', 'drop every table of the Turnpike schema (asks unless --yes)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action((o: MigrationsOptions) =>
      withDatastore(o, async (db, log, lockTimeoutMs) => {
        if (o.yes !== true) {
          throw new UsageError('reset drops every table and all data: pass --yes (-y) to confirm');
        }
        print(await reset(db, log, { lockTimeoutMs }));
      }),
    );
}

async function withDatastore(
  options: MigrationsOptions,
  run: (
    db: Awaited<ReturnType<typeof openDatastore>>,
    log: ReturnType<typeof createLogger>,
    lockTimeoutMs: number,
  ) => Promise<void>,
): Promise<void> {
  const loaded = await loadCliConfig(options);
  if (
    options.readEnvironment === true &&
    loaded.sources.dsn !== 'TURNPIKE_DSN' &&
    loaded.sources.dsn !== 'TURNPIKE_DSN_FILE'
  ) {
    throw new UsageError('-e was given but TURNPIKE_DSN (or TURNPIKE_DSN_FILE) is not set');
  }
  const lockTimeout = Number(options.lockTimeout);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) {
    throw new UsageError(`--lock-timeout must be a number of seconds, got '${options.lockTimeout}'`);
  }
  const target = datastoreOf(loaded);
  // The commands print Kong's lines themselves; the log only carries warnings and errors.
  const log = createLogger({ level: 'warn', name: 'migrations', destination: process.stderr });
  const db = await openDatastore(target, { log });
  try {
    await run(db, log, lockTimeout * 1000);
  } finally {
    await db.close();
  }
}

function datastoreOf(loaded: LoadedConfig) {
  const target = resolveDatastore(loaded.config, loaded.sources);
  if (target.kind === 'off') {
    throw new UsageError(
      `migrations need a database, but this node has none (role = ${loaded.config.role}, database = ${loaded.config.database})`,
    );
  }
  return target;
}

function print(result: { readonly messages: readonly string[] }): void {
  for (const line of result.messages) process.stdout.write(`${line}\n`);
}
