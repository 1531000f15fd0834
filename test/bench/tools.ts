/**
 * The Debian tools the benchmark drives (nginx, wrk, hey): found on PATH, installed with apt-get
 * when missing (as root, or through `sudo -n`), and their package versions for the results file.
 * Installing says so on stdout; a tool that cannot be installed is reported missing, and the
 * figures that need it are skipped with "skipped: <tool> missing".
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type ToolName = 'nginx' | 'wrk' | 'hey';

export interface Tool {
  readonly name: ToolName;
  /** Absolute path of the binary. */
  readonly path: string;
  /** The Debian package version (dpkg-query), or the tool's own word when not from a package. */
  readonly version: string;
}

/** Binary name → Debian package, and the folders outside a user's PATH where Debian puts it. */
const PACKAGES: Readonly<Record<ToolName, { package: string; dirs: readonly string[] }>> = {
  nginx: { package: 'nginx', dirs: ['/usr/sbin'] },
  wrk: { package: 'wrk', dirs: [] },
  hey: { package: 'hey', dirs: [] },
};

function which(name: ToolName): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...PACKAGES[name].dirs];
  return dirs
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
}

async function packageVersion(name: ToolName): Promise<string> {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax.
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Version}', PACKAGES[name].package]);
    if (stdout.trim() !== '') return stdout.trim();
  } catch {
    // Not from a Debian package: ask the tool below.
  }
  if (name === 'nginx') {
    const { stderr } = await run(which(name)!, ['-v']).catch((e: { stderr?: string }) => ({
      stderr: e.stderr ?? '',
    }));
    return stderr.trim().replace(/^nginx version: /, '');
  }
  return 'unknown (not a Debian package)';
}

/** `apt-get install` as root, else through passwordless sudo; undefined when neither is possible. */
function aptCommand(): string[] | undefined {
  if (process.getuid?.() === 0) return [];
  return existsSync('/usr/bin/sudo') ? ['sudo', '-n'] : undefined;
}

async function apt(prefix: readonly string[], args: readonly string[]): Promise<void> {
  const [file, ...rest] = [...prefix, 'apt-get', ...args];
  await run(file!, rest, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** True when Debian's packaged nginx service is running: its pid file exists. */
function packagedNginxRunning(): boolean {
  return existsSync('/run/nginx.pid');
}

/**
 * Installs the missing ones among `names` (one apt-get call; `apt-get update` first only when the
 * install fails, as on a machine whose package lists are stale). On a machine without Debian's
 * policy-rc.d guard, nginx's postinst starts the packaged service: that one is stopped again,
 * since nothing here uses it.
 */
async function install(missing: readonly ToolName[]): Promise<string | undefined> {
  const prefix = aptCommand();
  if (prefix === undefined) return 'not root and no sudo: cannot run apt-get';
  if (!existsSync('/usr/bin/apt-get')) return 'no apt-get on this machine';
  const packages = missing.map((m) => PACKAGES[m].package);
  console.log(
    `bench: installing ${packages.join(', ')} from Debian (apt-get install -y ${packages.join(' ')})`,
  );
  const nginxWasRunning = packagedNginxRunning();
  const args = ['install', '-y', '-qq', '--no-install-recommends', ...packages];
  try {
    await apt(prefix, args);
  } catch {
    try {
      await apt(prefix, ['update', '-qq']);
      await apt(prefix, args);
    } catch (error) {
      return `apt-get install failed: ${String((error as { stderr?: string }).stderr ?? error)
        .trim()
        .split('\n')
        .slice(-2)
        .join(' ')}`;
    }
  }
  if (missing.includes('nginx') && !nginxWasRunning && packagedNginxRunning()) {
    const nginx = which('nginx');
    if (nginx !== undefined) await run(nginx, ['-s', 'quit']).catch(() => undefined);
  }
  return undefined;
}

export interface Tools {
  readonly found: ReadonlyMap<ToolName, Tool>;
  /** Tools that are still missing, with the reason the install did not happen. */
  readonly missing: ReadonlyMap<ToolName, string>;
  get(name: ToolName): Tool | undefined;
}

/** Finds `names`, installs what is missing, and reads every version. */
export async function ensureTools(names: readonly ToolName[]): Promise<Tools> {
  const absent = names.filter((n) => which(n) === undefined);
  const why = absent.length === 0 ? undefined : await install(absent);
  const found = new Map<ToolName, Tool>();
  const missing = new Map<ToolName, string>();
  for (const name of names) {
    const path = which(name);
    if (path === undefined) missing.set(name, why ?? 'not found after apt-get install');
    else found.set(name, { name, path, version: await packageVersion(name) });
  }
  for (const [name, reason] of missing) console.log(`bench: ${name} missing (${reason})`);
  return { found, missing, get: (name) => found.get(name) };
}

/** Debian's dynamic stream module for nginx (package libnginx-mod-stream). */
const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/**
 * What nginx needs for a `stream {}` block: `{ module: undefined }` when built in, the module
 * to `load_module` when Debian builds it dynamic (installing libnginx-mod-stream when missing,
 * and saying so), or `{ missing }` with the reason.
 */
export async function ensureNginxStream(
  nginx: Tool,
): Promise<{ readonly module: string | undefined } | { readonly missing: string }> {
  const { stderr } = await run(nginx.path, ['-V']).catch((e: { stderr?: string }) => ({
    stderr: e.stderr ?? '',
  }));
  if (/--with-stream(\s|$)/.test(stderr)) return { module: undefined };
  if (!/--with-stream=dynamic/.test(stderr)) return { missing: 'nginx built without the stream module' };
  if (existsSync(NGINX_STREAM_MODULE)) return { module: NGINX_STREAM_MODULE };
  const prefix = aptCommand();
  if (prefix === undefined || !existsSync('/usr/bin/apt-get'))
    return { missing: 'libnginx-mod-stream missing and apt-get unavailable' };
  console.log('bench: installing libnginx-mod-stream from Debian (apt-get install -y libnginx-mod-stream)');
  const args = ['install', '-y', '-qq', '--no-install-recommends', 'libnginx-mod-stream'];
  try {
    await apt(prefix, args).catch(async () => {
      await apt(prefix, ['update', '-qq']);
      await apt(prefix, args);
    });
  } catch (error) {
    return { missing: `apt-get install libnginx-mod-stream failed: ${String(error).split('\n')[0]}` };
  }
  return existsSync(NGINX_STREAM_MODULE)
    ? { module: NGINX_STREAM_MODULE }
    : { missing: `${NGINX_STREAM_MODULE} not found after apt-get install` };
}
