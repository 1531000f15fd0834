#!/usr/bin/env node
// `turnpike` on whatever Node the machine has: `npm run turnpike -- <command>` and the package's
// `bin` run this file. With Node 24 or newer and the workspace installed, it runs bin/turnpike.ts
// in this process. On an older Node (20 is enough to get here), it runs scripts/toolchain.sh,
// which installs Node 24 into .tools/ and the dependencies when they are missing, then runs
// bin/turnpike.ts with that Node as a child: same arguments, working directory, environment,
// standard streams and exit code; SIGTERM, SIGQUIT, SIGHUP and SIGUSR2 are passed on (SIGINT
// from a terminal reaches the child by itself, being sent to the whole process group).
// Plain JavaScript, no TypeScript: old Nodes cannot strip types.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const NODE_MAJOR = 24;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'bin', 'turnpike.ts');

/** The workspace is installed for the current lockfile (scripts/toolchain.sh writes the stamp). */
function installed() {
  const stamp = join(root, 'node_modules', '.turnpike-lock');
  if (!existsSync(stamp)) return false;
  return readFileSync(stamp, 'utf8') === readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8');
}

/** Runs scripts/toolchain.sh (installing what is missing); returns the Node it puts on PATH. */
function toolchainNode() {
  const found = spawnSync(
    'bash',
    [join(root, 'scripts', 'toolchain.sh'), 'node', '-e', 'process.stdout.write(process.execPath)'],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
  );
  if (found.status !== 0 || found.stdout === '') {
    process.stderr.write(`Error: could not get Node.js ${NODE_MAJOR} (scripts/toolchain.sh failed)\n`);
    process.exit(1);
  }
  return found.stdout;
}

const major = Number(process.versions.node.split('.')[0]);
if (major >= NODE_MAJOR) {
  if (!installed()) toolchainNode();
  // Before the first TypeScript file: with the cache warm, Node then never loads its type
  // stripper (amaro, swc in WebAssembly: ~15 MB of the process's memory) — bin/turnpike.ts's
  // own call comes too late for the file it is in. (A namespace import: Node 20 has no such export.)
  nodeModule.enableCompileCache();
  await import(pathToFileURL(entry).href);
} else {
  const tools = join(root, '.tools', 'node_modules', '.bin', 'node');
  const node = existsSync(tools) && installed() ? tools : toolchainNode();
  const child = spawn(node, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGQUIT', 'SIGHUP', 'SIGUSR2']) {
    process.on(signal, () => child.kill(signal));
  }
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
  });
}
