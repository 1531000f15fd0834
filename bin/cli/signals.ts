import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  isAlive,
  ReloadRefusedError,
  ReloadUnreportedError,
  readRunningPid,
  requireRunningPid,
  UsageError,
} from '@turnpike/shared';
import type { Command } from 'commander';
import { RELOAD_RESULT_FILE, type ReloadResult } from '../node/reload.ts';
import { type ConfigOptions, loadCliConfig, withConfigOptions } from './config.ts';

/** Waits until `pid` exits; true if it did before the timeout. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

async function runningPid(options: ConfigOptions): Promise<{ pid: number; prefix: string }> {
  const { config } = await loadCliConfig(options);
  return { pid: await requireRunningPid(config.prefix), prefix: config.prefix };
}

/** Stops the node running in the prefix (SIGTERM, then SIGKILL after 10 s); false when none ran. */
export async function stopRunning(options: ConfigOptions): Promise<boolean> {
  const { config } = await loadCliConfig(options);
  const pid = await readRunningPid(config.prefix);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  if (!(await waitForExit(pid, 10_000))) {
    process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 2_000);
  }
  return true;
}

export function registerSignals(program: Command): void {
  withConfigOptions(
    program.command('stop').description('stop the running Turnpike at once (SIGTERM)'),
  ).action(async (options: ConfigOptions) => {
    await stopRunning(options);
    process.stdout.write('Turnpike stopped\n');
  });

  withConfigOptions(
    program
      .command('quit')
      .description('gracefully stop: stop accepting, let in-flight requests finish (SIGQUIT)')
      .option('-t, --timeout <seconds>', 'force a stop after this many seconds', '10')
      .option(
        '-w, --wait <seconds>',
        'first report not ready for this many seconds (load balancers deregister)',
        '0',
      ),
  ).action(async (options: ConfigOptions & { timeout: string; wait: string }) => {
    const timeout = Number(options.timeout);
    const wait = Number(options.wait);
    if (!Number.isFinite(timeout) || timeout < 0)
      throw new UsageError(`--timeout must be a number of seconds, got '${options.timeout}'`);
    if (!Number.isFinite(wait) || wait < 0)
      throw new UsageError(`--wait must be a number of seconds, got '${options.wait}'`);
    const { pid } = await runningPid(options);
    if (wait > 0) {
      process.kill(pid, 'SIGUSR2');
      await sleep(wait * 1000);
    }
    process.kill(pid, 'SIGQUIT');
    if (!(await waitForExit(pid, timeout * 1000))) {
      process.stderr.write(`Turnpike did not finish draining in ${timeout}s: stopping it\n`);
      process.kill(pid, 'SIGTERM');
      if (!(await waitForExit(pid, 5_000))) process.kill(pid, 'SIGKILL');
    }
    process.stdout.write('Turnpike stopped (gracefully)\n');
  });

  withConfigOptions(
    program
      .command('drain')
      .description('make /status/ready answer 503 so load balancers drain traffic away, while still serving'),
  ).action(async (options: ConfigOptions) => {
    const { pid } = await runningPid(options);
    process.kill(pid, 'SIGUSR2');
    process.stdout.write('Turnpike is draining: /status/ready answers 503\n');
  });

  withConfigOptions(
    program
      .command('reload')
      .description(
        "re-read the configuration and apply all of it or nothing: start's checks, then listeners, plugins and workers replaced without dropping connections; a configuration that fails a check or changes a key only a restart applies is refused, exit 1, the running one kept",
      ),
  ).action(async (options: ConfigOptions) => {
    // Validate first, as start would: a bad file never reaches the running node.
    const { pid, prefix } = await runningPid(options);
    const sentAt = Date.now();
    process.kill(pid, 'SIGHUP');
    const result = await waitForReload(prefix, sentAt, 15_000);
    if (result === undefined)
      throw new ReloadUnreportedError('the running Turnpike did not report the reload within 15s');
    if (!result.ok)
      throw new ReloadRefusedError(`reload refused, the running configuration is kept:\n${result.message}`);
    process.stdout.write('Turnpike reloaded\n');
  });
}

async function waitForReload(
  prefix: string,
  after: number,
  timeoutMs: number,
): Promise<ReloadResult | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const text = await readFile(join(prefix, RELOAD_RESULT_FILE), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      const result = JSON.parse(text) as ReloadResult;
      if (result.at >= after) return result;
    }
    await sleep(50);
  }
  return undefined;
}
