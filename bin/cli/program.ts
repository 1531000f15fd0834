import { TURNPIKE_VERSION } from '@turnpike/shared';
// The `turnpike` command: Kong's verbs, wired to both planes. This folder is the only place that
// imports the control plane and the data plane together.
import { Command } from 'commander';
import { registerCheck } from './check.ts';
import { registerDeclarative } from './declarative.ts';
import { registerHealth } from './health.ts';
import { registerHybrid } from './hybrid.ts';
import { registerMigrations } from './migrations.ts';
import { exitWithError } from './output.ts';
import { registerPlugin } from './plugin.ts';
import { registerSignals } from './signals.ts';
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
registerSignals(program);
registerHealth(program);
registerCheck(program);
registerHybrid(program);
registerMigrations(program);
registerDeclarative(program);
registerPlugin(program);

program.parseAsync(process.argv).catch(exitWithError);
