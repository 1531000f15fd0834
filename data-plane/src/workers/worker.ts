/**
 * A proxy worker process: it runs the proxy listeners (their sockets shared through
 * node:cluster) and the Runtime they read, and does what the main process says — start with a
 * configuration, swap in another, stop or drain. It never opens the sync stream: the main
 * process holds the one stream and the cache file.
 */

import cluster from 'node:cluster';
import { createLogger, Lifecycle, type Logger, toError } from '@turnpike/shared';
import { applyDelta, type VersionedConfig } from '@turnpike/shared/sync';
import { BalancerRegistry, connectLookup, DEFAULT_DNS_SETTINGS, systemResolver } from '../balancer/index.ts';
import { loadPluginRuntime } from '../plugins/runtime/index.ts';
import { startProxy } from '../proxy/index.ts';
import {
  compileRuntime,
  type PluginRuntimeOptions,
  patchRuntime,
  type Runtime,
  RuntimeHolder,
} from '../runtime/index.ts';
import { UpstreamPools } from '../upstream/index.ts';
import {
  isPrimaryMessage,
  NO_CONFIG_VERSION,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerSettings,
} from './protocol.ts';
import { runtimeConfigOf } from './runtime-config.ts';

/** Compiles one configuration (null: the empty one) for this worker's pools. */
export type CompileFor = (config: VersionedConfig | null) => Runtime;

/** Builds the Runtime of `next` from `previous` and the changes between them. */
export type PatchFor = (
  previous: Runtime,
  next: VersionedConfig,
  changes: Extract<PrimaryMessage, { type: 'apply-delta' }>['changes'],
) => Runtime;

/** Everything a compile needs besides the configuration; built once per worker. */
export interface CompileInputs {
  readonly pools: UpstreamPools;
  readonly balancers: BalancerRegistry;
  readonly plugins: PluginRuntimeOptions;
}

export function compilerFor(inputs: CompileInputs): CompileFor {
  const options = compileOptions(inputs);
  return (config) =>
    compileRuntime(
      config === null ? { version: NO_CONFIG_VERSION, services: [], routes: [] } : runtimeConfigOf(config),
      options,
    );
}

export function patcherFor(inputs: CompileInputs): PatchFor {
  const options = compileOptions(inputs);
  return (previous, next, changes) =>
    patchRuntime(previous, { version: next.version, entities: next.config, changes }, options);
}

function compileOptions(inputs: CompileInputs) {
  return { dispatchers: inputs.pools, balancers: inputs.balancers, plugins: inputs.plugins };
}

interface Running {
  readonly holder: RuntimeHolder;
  readonly compile: CompileFor;
  readonly patch: PatchFor;
  /** The configuration the current Runtime was built from: what a delta applies to. */
  content: VersionedConfig | null;
  readonly lifecycle: Lifecycle;
  readonly log: Logger;
}

function send(message: WorkerMessage): void {
  // The channel closes when the main process goes; 'disconnect' then stops this worker.
  if (process.connected) process.send?.(message);
}

function versionOf(runtime: Runtime): number {
  return typeof runtime.version === 'number' ? runtime.version : Number(runtime.version);
}

async function start(
  slot: number,
  settings: WorkerSettings,
  config: VersionedConfig | null,
): Promise<Running> {
  const log = createLogger({ level: settings.logLevel, name: 'turnpike' }).child({ worker: slot });
  const lifecycle = new Lifecycle(log);
  // One resolver (the dns_* keys) for the balancers' targets and the services' own hosts.
  const resolve = systemResolver(settings.resolver);
  const lookup = connectLookup(resolve, { ...DEFAULT_DNS_SETTINGS, ...settings.dns });
  const pools = new UpstreamPools({ ...settings.pools, lookup }, log);
  lifecycle.add({ name: 'upstream pools', stop: () => pools.close() });
  const balancers = new BalancerRegistry({ log, dns: settings.dns, resolve });
  lifecycle.add(balancers);
  const plugins = await loadPluginRuntime(settings.plugins, log);
  const compile = compilerFor({ pools, balancers, plugins });
  const patch = patcherFor({ pools, balancers, plugins });
  const holder = new RuntimeHolder(compile(config));
  const proxy = await startProxy({
    listen: settings.listen,
    holder,
    log,
    settings: settings.proxy,
    ...(settings.tls === undefined ? {} : { tls: settings.tls }),
  });
  lifecycle.add(proxy);
  send({ type: 'ready', version: versionOf(holder.current), ports: proxy.ports });
  return { holder, compile, patch, content: config, lifecycle, log };
}

/** Compile, then swap in one assignment; a throw is the answer the main process turns into a Nack. */
function apply(running: Running, seq: number, config: VersionedConfig | null): void {
  let runtime: Runtime;
  try {
    runtime = running.compile(config);
  } catch (error) {
    send({ type: 'apply-failed', seq, error: toError(error).message });
    return;
  }
  running.holder.swap(runtime);
  running.content = config;
  send({ type: 'applied', seq, version: versionOf(runtime), problems: runtime.problems });
}

/**
 * Applies a delta to the configuration this worker holds, patches the Runtime, swaps. The
 * worker's content and Runtime change only on success: a refusal leaves both as they were.
 */
function applyChanges(running: Running, message: Extract<PrimaryMessage, { type: 'apply-delta' }>): void {
  const { seq } = message;
  const held = running.content;
  if (held === null || held.version !== message.fromVersion) {
    const error = `a delta from version ${message.fromVersion}, but this worker holds ${held?.version ?? 'none'}`;
    send({ type: 'apply-failed', seq, error, stale: true });
    return;
  }
  let next: VersionedConfig;
  let runtime: Runtime;
  try {
    const applied = applyDelta(held.config, held.hash, message.changes);
    if (applied.hash !== message.hash) {
      send({
        type: 'apply-failed',
        seq,
        error: `version ${message.version} hashes to ${applied.hash} here, not ${message.hash}`,
        stale: true,
      });
      return;
    }
    next = { version: message.version, hash: applied.hash, config: applied.config };
    runtime = running.patch(running.holder.current, next, message.changes);
  } catch (error) {
    send({ type: 'apply-failed', seq, error: toError(error).message });
    return;
  }
  running.holder.swap(runtime);
  running.content = next;
  send({ type: 'applied', seq, version: versionOf(runtime), problems: runtime.problems });
}

async function exit(running: Running | undefined, code: number): Promise<never> {
  running?.log.flush();
  process.exit(code);
}

/**
 * The worker's main loop. The signals the node answers (SIGINT from a terminal reaches the whole
 * process group, SIGQUIT, SIGHUP, SIGUSR2) are the main process's to act on: a worker ignores them
 * and waits for its 'stop'. SIGTERM still ends a worker, which the main process then restarts.
 */
export function runWorker(): void {
  if (cluster.isPrimary) throw new Error('runWorker runs in a worker forked by node:cluster');
  for (const signal of ['SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2'] as const) process.on(signal, () => {});

  let running: Promise<Running> | undefined;
  let stopping = false;
  const stop = (mode: 'now' | 'drain', deadline: number): void => {
    const wasStopping = stopping;
    stopping = true;
    if (running === undefined) {
      void exit(undefined, 0);
      return;
    }
    running.then(
      async (r) => {
        // A second stop (now during a drain) cuts the drain short; the first one exits.
        const stopped = r.lifecycle.stop(mode, Math.max(0, deadline - Date.now()));
        if (wasStopping) return;
        await stopped;
        await exit(r, 0);
      },
      () => exit(undefined, 1),
    );
  };

  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return;
    handle(message);
  });
  // The main process is gone (killed, crashed): nobody will restart or stop us, so stop now.
  process.on('disconnect', () => stop('now', Date.now()));

  const handle = (message: PrimaryMessage): void => {
    switch (message.type) {
      case 'start':
        if (running !== undefined) return;
        running = start(message.slot, message.settings, message.config);
        running.catch((error: unknown) => {
          send({ type: 'start-failed', error: toError(error).message });
          void exit(undefined, 1);
        });
        return;
      case 'apply':
        // Messages arrive in order and 'apply' is only sent after 'ready': `running` is settled.
        running?.then(
          (r) => apply(r, message.seq, message.config),
          () => {},
        );
        return;
      case 'apply-delta':
        running?.then(
          (r) => applyChanges(r, message),
          () => {},
        );
        return;
      case 'stop':
        stop(message.mode, message.deadline);
        return;
    }
  };
}
