import { TURNPIKE_VERSION } from '@turnpike/shared';
// The `turnpike` command: Kong's verbs, wired to both planes. This folder is the only place that
// imports the control plane and the data plane together.
import { Command } from 'commander';
import { exitWithError } from './output.ts';
import { registerStart } from './start.ts';

const program = new Command('turnpike')
  .description('Turnpike: an API gateway with a control plane and data planes, compatible with Kong')
  .version(TURNPIKE_VERSION, '--version', 'print the version')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(`Error: ${text.replace(/^error: /, '')}`) });

program
  .command('version')
  .description('print the version')
  .action(() => {
    process.stdout.write(`${TURNPIKE_VERSION}\n`);
  });

registerStart(program);
// A node's start loads only what it runs: the other verbs (and the control plane's store, DAO and
// declarative modules that some of them import) are loaded for the other commands alone.
const command = process.argv[2];
if (command !== 'start' && command !== 'restart') {
  const [signals, health, check, hybrid, migrations, declarative, plugin] = await Promise.all([
    import('./signals.ts'),
    import('./health.ts'),
    import('./check.ts'),
    import('./hybrid.ts'),
    import('./migrations.ts'),
    import('./declarative.ts'),
    import('./plugin.ts'),
  ]);
  signals.registerSignals(program);
  health.registerHealth(program);
  check.registerCheck(program);
  hybrid.registerHybrid(program);
  migrations.registerMigrations(program);
  declarative.registerDeclarative(program);
  plugin.registerPlugin(program);
}

program.parseAsync(process.argv).catch(exitWithError);
