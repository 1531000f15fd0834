/**
 * Which plugin is running. The chain calls every phase function inside `runInPlugin`
 * (AsyncLocalStorage), so the name follows the plugin's own awaits, timers and callbacks: the
 * process safety net names the plugin an escaped error came from, and `guardPluginExits` refuses
 * a process exit asked for by plugin code.
 *
 * What the guard cannot stop, and does not pretend to: a plugin is code running in the worker, as
 * a Lua plugin runs in nginx's. It can still block the event loop, exhaust memory, spawn a process
 * that kills this one, or reach process internals the guard does not wrap. The guard turns the
 * likely mistakes (exit, abort, kill of the worker, its parent or its group, disconnect from the
 * main process) into a PluginExitError thrown in the plugin, which fails its request only.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { PluginExitError } from '@turnpike/shared';

const scope = new AsyncLocalStorage<string>();

/** Calls `fn(...args)` as plugin `plugin`'s code. */
export function runInPlugin<A extends unknown[], R>(plugin: string, fn: (...args: A) => R, ...args: A): R {
  return scope.run(plugin, fn, ...args);
}

/** The plugin whose code is running (its phase, or anything it scheduled), if any. */
export function currentPlugin(): string | undefined {
  return scope.getStore();
}

const kGuarded = Symbol.for('turnpike.plugin-exit-guard');

type Guardable = NodeJS.Process & {
  [kGuarded]?: boolean;
  reallyExit?: (code?: number) => never;
};

function refuseInPlugin(call: string): void {
  const plugin = scope.getStore();
  if (plugin !== undefined) throw new PluginExitError(plugin, call);
}

/** Wraps process.exit and its kin so that plugin code cannot end (or orphan) the worker. Once per process. */
export function guardPluginExits(): void {
  const proc = process as Guardable;
  if (proc[kGuarded] === true) return;
  proc[kGuarded] = true;
  const exit = proc.exit;
  const abort = proc.abort;
  const kill = proc.kill;
  const reallyExit = proc.reallyExit;
  const disconnect = proc.disconnect;
  proc.exit = function exitOutsidePlugins(code?: number | string | null): never {
    refuseInPlugin('process.exit');
    return exit.call(proc, code);
  } as NodeJS.Process['exit'];
  proc.abort = function abortOutsidePlugins(): never {
    refuseInPlugin('process.abort');
    return abort.call(proc);
  };
  proc.kill = function killOutsidePlugins(pid: number, signal?: string | number): true {
    // The worker itself, the main process, or a whole process group.
    if (pid === proc.pid || pid === proc.ppid || pid <= 0) refuseInPlugin(`process.kill(${pid})`);
    return kill.call(proc, pid, signal);
  };
  if (reallyExit !== undefined) {
    proc.reallyExit = function reallyExitOutsidePlugins(code?: number): never {
      refuseInPlugin('process.reallyExit');
      return reallyExit.call(proc, code);
    };
  }
  if (disconnect !== undefined) {
    proc.disconnect = function disconnectOutsidePlugins(): void {
      refuseInPlugin('process.disconnect');
      disconnect.call(proc);
    };
  }
}
