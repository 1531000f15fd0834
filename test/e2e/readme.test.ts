import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { eventually } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type CommandResult, cleanEnv, machineNode, REPO_ROOT, runTurnpike } from '../helpers/turnpike.ts';

/**
 * README.md's commands, run as written with the machine's own Node and npm first on PATH (Node 20
 * on these machines, not the toolchain's 24), from a checkout of their own: a folder of links to
 * this repository's files, so that what the commands write (cluster.crt, .turnpike/, ./dp1) lands
 * there. Only the ports are changed, to free ones, and the DSN, to the test's PostgreSQL.
 */

let readme: string;
let checkout: string;
let node: string;
before(async () => {
  readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  node = machineNode();
  checkout = await mkdtemp(join(tmpdir(), 'turnpike-readme-'));
  for (const entry of [
    'package.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    'tsconfig.json',
    'turnpike.conf.default',
    'node_modules',
    '.tools',
    'bin',
    'scripts',
    'shared',
    'control-plane',
    'data-plane',
    'proto',
  ]) {
    if (existsSync(join(REPO_ROOT, entry))) await symlink(join(REPO_ROOT, entry), join(checkout, entry));
  }
});
after(async () => {
  await rm(checkout, { recursive: true, force: true });
});

/** PATH with the machine's node first and nothing of the repository's (.tools/, node_modules/.bin). */
function machinePath(): string {
  const outside = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d !== '' && !resolve(d).startsWith(REPO_ROOT));
  return [dirname(node), ...outside].join(delimiter);
}

/**
 * The commands of the README's shell code blocks (those containing `within` when given), with
 * `\` continuations joined and comments dropped.
 */
function readmeCommands(within?: string): string[] {
  const commands: string[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    if (within !== undefined && !(block[1] ?? '').includes(within)) continue;
    const joined = (block[1] ?? '').replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '' && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
}

function readmeCommand(pattern: RegExp): string {
  const found = readmeCommands().filter((c) => pattern.test(c));
  assert.equal(found.length, 1, `one README command matches ${pattern}: ${found.join(' | ')}`);
  return found[0] as string;
}

interface Shell {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Ends the whole process group (bash, npm, the shim, the node), if still running. */
  kill(): void;
}

/** Runs a shell command line in the checkout with the machine's Node, as a user types it. */
function shell(line: string, env: Record<string, string> = {}): Shell {
  const child = spawn('bash', ['-c', line], {
    cwd: checkout,
    env: { ...cleanEnv(), ...env, PATH: machinePath() },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    output: () => output,
    exited,
    kill: () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

async function run(line: string, env: Record<string, string> = {}): Promise<CommandResult> {
  const child = spawn('bash', ['-c', line], {
    cwd: checkout,
    env: { ...cleanEnv(), ...env, PATH: machinePath() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** The README's ports (Turnpike's defaults) replaced by free ones. */
function withPorts(line: string, ports: Readonly<Record<number, number>>): string {
  return line.replace(/(localhost|127\.0\.0\.1):(\d{4})\b/g, (all, host: string, port: string) =>
    ports[Number(port)] === undefined ? all : `${host}:${ports[Number(port)]}`,
  );
}

describe("README.md's commands on the machine's own Node", () => {
  test('the machine Node is the one the README promises is enough', async () => {
    const version = await run('node --version');
    assert.equal(version.code, 0, version.stderr);
    const major = Number(version.stdout.trim().slice(1).split('.')[0]);
    assert.ok(major >= 20, version.stdout);
    assert.match(readme, /Node\.js \(20 or newer\)/);
  });

  test('npm run turnpike -- <command> --help answers for every command of the table', async () => {
    const table = [...readme.matchAll(/^\| `([a-z_]+)[ `]/gm)].map((m) => m[1] as string);
    assert.ok(table.includes('start') && table.includes('config'), table.join(' '));
    for (const command of ['version', ...table.filter((c) => c !== 'version')]) {
      const result = await run(`npm run --silent turnpike -- ${command} --help`);
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`Usage: turnpike ${command}`), command);
    }
    const version = await run('npm run --silent turnpike -- version');
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('npm start &, the Try it requests, then npm run turnpike -- stop', { timeout: 180_000 }, async () => {
    const ports = { 8000: await freePort(), 8001: await freePort(), 8100: await freePort() };
    const env = {
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${ports[8000]}`,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${ports[8001]}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${ports[8100]}`,
      TURNPIKE_WORKER_PROCESSES: '1',
    };
    const start = readmeCommand(/^npm start &$/);
    const gateway = shell(start.replace(/ &$/, ''), env);
    try {
      await eventually(
        () =>
          fetch(`http://127.0.0.1:${ports[8100]}/status/ready`).then(
            (r) => r.status,
            () => 0,
          ),
        (status) => status === 200,
        120_000,
      ).catch((err: Error) => assert.fail(`${err.message}\n${gateway.output()}`));
      const tryIt = readmeCommands('npm start &').filter((c) => c.startsWith('curl'));
      assert.equal(tryIt.length, 4, tryIt.join('\n'));
      for (const line of tryIt) {
        const command = withPorts(line.replace('curl -s', 'curl -sf'), ports);
        // The proxy serves the new route once the data plane has the configuration: moments later.
        const proxy = line.includes('localhost:8000');
        const result = await eventually(
          () => run(command),
          (r) => r.code === 0 || !proxy,
        );
        assert.equal(result.code, 0, `${line}\n${result.stdout}${result.stderr}`);
        if (proxy) assert.match(result.stdout, /"role":"traditional"/, 'the status listener, proxied');
      }

      assert.match(readme, /from another\s+shell with `npm run turnpike -- stop`/);
      const stop = await run('npm run turnpike -- stop');
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(await gateway.exited, 0, gateway.output());
    } finally {
      gateway.kill();
    }
  });

  describe('Hybrid mode, as written', () => {
    let pg: TestPostgres;
    before(async () => {
      pg = await startPostgres();
    });
    after(async () => {
      await pg?.[Symbol.asyncDispose]();
    });

    test('gen_cert, a control plane on PostgreSQL with --run-migrations, a data plane in ./dp1', {
      timeout: 240_000,
    }, async () => {
      const genCert = await run(readmeCommand(/hybrid gen_cert/));
      assert.equal(genCert.code, 0, genCert.stderr);
      assert.ok(existsSync(join(checkout, 'cluster.crt')) && existsSync(join(checkout, 'cluster.key')));

      const ports = { 8001: await freePort(), 8005: await freePort() };
      const [cpLine, dpLine] = [
        readmeCommand(/TURNPIKE_ROLE=control_plane/),
        readmeCommand(/TURNPIKE_ROLE=data_plane/),
      ];
      const cpStatus = await freePort();
      const cp = shell(withPorts(cpLine, ports).replace(/postgres:\/\/\S+/, pg.dsn), {
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${ports[8001]}`,
        TURNPIKE_CLUSTER_LISTEN: `127.0.0.1:${ports[8005]}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${cpStatus}`,
      });
      const dpStatus = await freePort();
      let dp: Shell | undefined;
      try {
        await eventually(
          () =>
            fetch(`http://127.0.0.1:${cpStatus}/status/ready`).then(
              (r) => r.status,
              () => 0,
            ),
          (status) => status === 200,
          120_000,
        ).catch((err: Error) => assert.fail(`${err.message}\n${cp.output()}`));
        dp = shell(withPorts(dpLine, ports), {
          TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
          TURNPIKE_STATUS_LISTEN: `127.0.0.1:${dpStatus}`,
          TURNPIKE_WORKER_PROCESSES: '1',
        });
        const listed = await eventually(
          () =>
            fetch(`http://127.0.0.1:${ports[8001]}/clustering/data-planes`).then(
              async (r) => (await r.json()) as { data: { sync_status: string }[] },
              () => ({ data: [] }),
            ),
          (body) => body.data.length === 1 && body.data[0]?.sync_status === 'normal',
          120_000,
        ).catch((err: Error) => assert.fail(`${err.message}\n${cp.output()}\n${dp?.output()}`));
        assert.equal(listed.data[0]?.sync_status, 'normal');
        assert.ok(
          existsSync(join(checkout, 'dp1', 'turnpike.pid')),
          'TURNPIKE_PREFIX=./dp1 is under the checkout',
        );

        const stopDp = await run('npm run --silent turnpike -- stop', { TURNPIKE_PREFIX: './dp1' });
        assert.equal(stopDp.code, 0, stopDp.stderr);
        assert.equal(await dp.exited, 0, dp.output());
        const stopCp = await run('npm run --silent turnpike -- quit');
        assert.equal(stopCp.code, 0, stopCp.stderr);
        assert.equal(await cp.exited, 0, cp.output());
      } finally {
        cp.kill();
        dp?.kill();
      }
    });
  });
});

/** The command names a `--help` lists under "Commands:", `help` aside. */
function helpCommands(help: string): string[] {
  const section = help.split('Commands:\n')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z_]+)/gm)].map((m) => m[1] as string).filter((c) => c !== 'help');
}

describe('README.md and CONTRIBUTING.md match the code', () => {
  test('the command table lists every command of the CLI, with every subcommand', async () => {
    const rows = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) =>
      (m[1] as string).replaceAll('\\|', '|'),
    );
    const listed = new Map(rows.map((row) => [row.split(' ')[0] as string, row]));
    const commands = helpCommands((await runTurnpike(['--help'])).stdout);
    assert.ok(commands.length >= 12, commands.join(' '));
    assert.deepEqual(
      commands.filter((c) => !listed.has(c)),
      [],
      'commands the README does not list',
    );
    assert.deepEqual(
      [...listed.keys()].filter((c) => !commands.includes(c)),
      [],
      'README rows of no command',
    );
    for (const parent of ['config', 'migrations', 'hybrid']) {
      const subcommands = helpCommands((await runTurnpike([parent, '--help'])).stdout);
      const row = listed.get(parent) ?? '';
      for (const sub of subcommands) assert.match(row, new RegExp(`\\b${sub}\\b`), `${parent} ${sub}`);
    }
  });

  test('every repository path they name exists', async () => {
    const contributing = await readFile(join(REPO_ROOT, 'CONTRIBUTING.md'), 'utf8');
    const missing: string[] = [];
    for (const [name, text] of [
      ['README.md', readme],
      ['CONTRIBUTING.md', contributing],
    ] as const) {
      for (const match of text.matchAll(/`([^`\s]+)`|\]\(([^)\s#]+)/g)) {
        const path = (match[1] ?? match[2] ?? '').replace(/[.,:]$/, '');
        const looksLikePath = /^[\w.-]+\/[\w./-]*$|^[\w.-]+\.(md|ts|cjs|mjs|sh|yml|yaml|json|default)$/.test(
          path,
        );
        if (!looksLikePath || path.startsWith('.turnpike') || path.includes('/secrets/')) continue;
        // Files the README's own commands write (cluster.crt, kong.yml) are not the repository's,
        // nor .tools/, which the toolchain script makes only on a machine whose Node is older than 24.
        if (/^(cluster\.(crt|key)|kong\.yml|x\.test\.ts|path\/to\/.*|\.tools\/)$/.test(path)) continue;
        if (!existsSync(join(REPO_ROOT, path))) missing.push(`${name}: ${path}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});
