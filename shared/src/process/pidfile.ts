import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AlreadyRunningError, NotRunningError } from '../errors.ts';

export const PID_FILE = 'turnpike.pid';

export function pidFilePath(prefix: string): string {
  return join(prefix, PID_FILE);
}

/** True when a process with this pid exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the Turnpike running in this prefix, or undefined (no file, or a stale one). */
export async function readRunningPid(prefix: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(pidFilePath(prefix), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

export async function requireRunningPid(prefix: string): Promise<number> {
  const pid = await readRunningPid(prefix);
  if (pid === undefined) throw new NotRunningError(`Turnpike is not running in ${prefix}`);
  return pid;
}

/** Claims the prefix for this process; refuses when another live process holds it. */
export async function claimPrefix(prefix: string): Promise<void> {
  await mkdir(prefix, { recursive: true });
  const running = await readRunningPid(prefix);
  if (running !== undefined && running !== process.pid) {
    throw new AlreadyRunningError(`Turnpike is already running in ${prefix} (pid ${running})`);
  }
  await writeFile(pidFilePath(prefix), `${process.pid}\n`);
}

export async function releasePrefix(prefix: string): Promise<void> {
  const text = await readFile(pidFilePath(prefix), 'utf8').catch(() => '');
  if (text.trim() === String(process.pid)) await rm(pidFilePath(prefix), { force: true });
}
