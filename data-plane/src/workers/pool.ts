/**
 * The main process's side of the proxy workers: it forks `count` workers, hands every one the
 * same configuration, and keeps them on one version. `apply` resolves when every running worker
 * swapped; when one refuses (or dies, or stays silent), the ones that swapped are sent the
 * previous configuration back and `apply` throws that worker's message, which the sync client
 * turns into a Nack. A worker that dies is restarted with the current configuration.
 *
 * How a worker is reached is injected (`SpawnWorker`): node:cluster in production, plain
 * objects in the unit tests.
 */

import type { BalancerAdminOp, Logger, StopMode, Stoppable } from '@turnpike/shared';
import { type ConfigDelta, plainConfig, type VersionedConfig } from '@turnpike/shared/sync';
import type { RouterProblem } from '../router/index.ts';
import { WorkerError } from './errors.ts';
import {
  NO_CONFIG_VERSION,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerSettings,
} from './protocol.ts';
import { SharedCounterStore } from './shared-counters.ts';

/** One forked worker as the pool sees it. */
export interface WorkerChannel {
  readonly pid: number | undefined;
  send(message: PrimaryMessage): void;
  kill(signal: NodeJS.Signals): void;
}

export interface WorkerEvents {
  message(message: WorkerMessage): void;
  exit(code: number | null, signal: string | null): void;
}

/** Forks the worker for `slot`; the returned channel's events arrive through `events`. */
export type SpawnWorker = (slot: number, events: WorkerEvents) => WorkerChannel;

export type WorkerState = 'starting' | 'running' | 'exited';

/** One worker in `/status`. */
export interface WorkerStatus {
  readonly slot: number;
  readonly pid: number | undefined;
  readonly state: WorkerState;
  /** The configuration version it serves; undefined until it has started. */
  readonly config_version: number | undefined;
  readonly restarts: number;
}

export interface WorkerPoolOptions {
  readonly count: number;
  readonly spawn: SpawnWorker;
  readonly settings: WorkerSettings;
  readonly log: Logger;
  /** How long a worker may take to compile and swap one configuration. */
  readonly applyTimeoutMs?: number;
  /** How long a worker may take to start listening. */
  readonly startTimeoutMs?: number;
  /** Grace after a stop's deadline before a worker is killed. */
  readonly killGraceMs?: number;
  /** The wait before restarting a worker that died `crashes` times in a row, each soon after starting. */
  readonly restartDelay?: (crashes: number) => number;
  /**
   * A traditional node's datastore: runs a plugin's `datastore-write` (the SDK's nodeDatastore())
   * and resolves with its reply once the write is in the configuration the workers run.
   */
  readonly datastore?: (plugin: string, op: unknown) => Promise<unknown>;
}

/** A worker that lived this long before dying is restarted at once: it was not crash-looping. */
const STABLE_AFTER_MS = 10_000;

/** 0 ms for a first crash, then 100 ms doubling up to 10 s. */
export function defaultRestartDelay(crashes: number): number {
  return crashes <= 1 ? 0 : Math.min(100 * 2 ** (crashes - 2), 10_000);
}

type Answer =
  | { readonly ok: true; readonly problems: readonly RouterProblem[] }
  | { readonly ok: false; readonly error: string; readonly stale?: boolean };

interface Slot {
  readonly index: number;
  channel: WorkerChannel | undefined;
  state: WorkerState;
  version: number | undefined;
  ports: readonly number[];
  restarts: number;
  crashes: number;
  startedAt: number;
  readonly pending: Map<number, (answer: Answer) => void>;
  /** Scrapes waiting for this worker's metrics, by seq. */
  readonly scrapes: Map<number, (metrics: readonly unknown[]) => void>;
  restartTimer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
  markExited: () => void;
  /** A rolling replacement waits on this worker's start: its failure is the replacement's. */
  starting: Startup | undefined;
  /** Replaced: drained, never restarted, dropped from the pool once it exited. */
  retired: boolean;
}

interface Startup {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A whole config as the IPC channel can carry it (structured clone drops a LayeredMap's state). */
function cloneable(config: VersionedConfig | undefined): VersionedConfig | null {
  return config === undefined ? null : { ...config, config: plainConfig(config.config) };
}

function versionOf(config: VersionedConfig | undefined): number {
  return config?.version ?? NO_CONFIG_VERSION;
}

type AdminReply = Extract<WorkerMessage, { type: 'admin-reply' }>;

/**
 * Runs `callback` once `ms` have passed and the event loop has then read its pending input.
 * A timer fires in the loop's timers phase, before the poll phase reads sockets and IPC: after a
 * stretch of the main loop starved by synchronous or microtask-only work, every deadline that
 * passed meanwhile fires before the answers that arrived in time are read. The callback runs from
 * setImmediate (the check phase, after that poll), so those answers are seen first.
 */
function afterPendingInput(ms: number, callback: () => void): { cancel(): void } {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(callback);
  }, ms);
  timer.unref();
  return {
    cancel() {
      clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
    },
  };
}

export class WorkerPool implements Stoppable {
  readonly name = 'proxy workers';
  readonly #options: WorkerPoolOptions;
  readonly #log: Logger;
  readonly #slots: Slot[] = [];
  #current: VersionedConfig | undefined;
  #seq = 0;
  readonly #adminPending = new Map<number, (reply: AdminReply) => void>();
  readonly #healthListeners = new Set<() => void>();
  #applying = false;
  #stopping = false;
  #scrapeSeq = 0;
  #startup: Startup | undefined;
  #settings: WorkerSettings;
  /** The node's one store of plugin counters, for every worker (restarts and config pushes keep it). */
  readonly #counters = new SharedCounterStore();

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.count) || options.count < 1) {
      throw new RangeError(`a worker pool needs at least one worker, got ${options.count}`);
    }
    this.#options = options;
    this.#settings = options.settings;
    this.#log = options.log;
  }

  /**
   * Forks every worker and resolves once all listen; the first one that fails (answers
   * start-failed, or exits) fails the start. A slow start never does: past `startTimeoutMs` the
   * pool logs a warning and keeps waiting (readiness stays "not running" meanwhile). A main
   * process busy with config work (an Admin API `POST /config` of 50k routes in a traditional
   * node) can starve its own event loop for longer than any deadline, and a timer fires before
   * the 'ready' already waiting on the channel is read: a deadline cannot tell that from a hung
   * worker, so it does not end the node.
   */
  async start(): Promise<void> {
    const started = new Promise<void>((resolve, reject) => {
      this.#startup = { resolve, reject };
    });
    const timeoutMs = this.#options.startTimeoutMs ?? 30_000;
    const timer = afterPendingInput(timeoutMs, () => {
      const waiting = this.#slots.filter((slot) => slot.state !== 'running').map((slot) => slot.index);
      if (this.#startup === undefined || waiting.length === 0) return;
      this.#log.warn(
        { workers: waiting, waited_ms: timeoutMs },
        'the proxy workers have not started yet: still waiting',
      );
    });
    for (let index = 1; index <= this.#options.count; index++) {
      const slot = this.#newSlot(index);
      this.#slots.push(slot);
      this.#spawn(slot);
    }
    try {
      await started;
    } catch (error) {
      await this.stop('now', Date.now());
      throw error;
    } finally {
      timer.cancel();
      this.#startup = undefined;
    }
  }

  /** The bound port of each listen entry, as the workers report them (they share the sockets). */
  get ports(): readonly number[] {
    return this.#slots.find((slot) => slot.state === 'running' && !slot.retired)?.ports ?? [];
  }

  /** The version every worker should run. */
  get version(): number {
    return versionOf(this.#current);
  }

  /**
   * Swaps `next` in on every running worker. Throws (the sync client's Nack) when one did not
   * swap, after sending the previous configuration back to those that did. With `delta` (what
   * turned the current version into `next`), a worker that holds the current version is sent
   * only the changes; any other worker gets `next` whole.
   */
  async apply(next: VersionedConfig, delta?: ConfigDelta): Promise<void> {
    const previous = this.#current;
    const participants = this.#slots.filter((slot) => slot.state === 'running' && !slot.retired);
    const usable = delta !== undefined && previous !== undefined && previous.version === delta.fromVersion;
    this.#applying = true;
    try {
      const answers = await Promise.all(
        participants.map((slot) =>
          usable && slot.version === delta.fromVersion
            ? this.#requestDelta(slot, next, delta)
            : this.#request(slot, next),
        ),
      );
      const failedAt = answers.findIndex((answer) => !answer.ok);
      if (failedAt === -1) {
        this.#current = next;
        const first = answers[0];
        if (first?.ok === true) {
          for (const problem of first.problems)
            this.#log.warn(
              { version: next.version, ...problem },
              'configuration problem (the rest of the version is served)',
            );
        }
        return;
      }
      const failed = participants[failedAt]!;
      const answer = answers[failedAt] as Extract<Answer, { ok: false }>;
      const swapped = participants.filter((_, i) => answers[i]?.ok === true);
      this.#log.error(
        {
          version: next.version,
          worker: failed.index,
          worker_pid: failed.channel?.pid,
          error: answer.error,
          reverting: swapped.length,
        },
        'a worker refused the configuration; every worker goes back to the previous one',
      );
      await Promise.all(swapped.map((slot) => this.#bringTo(slot, previous)));
      throw new WorkerError(`worker ${failed.index}: ${answer.error}`);
    } finally {
      this.#applying = false;
      this.#catchUp();
    }
  }

  /** Why the workers are not all serving the current version, or undefined when they are. */
  notReadyReason(): string | undefined {
    const version = this.version;
    for (const slot of this.#slots) {
      // A rolling replacement's workers: the old ones drain, the new ones are not serving yet.
      if (slot.retired || slot.starting !== undefined) continue;
      if (slot.state !== 'running') return `worker ${slot.index} is not running`;
      if (slot.version !== version) {
        return `worker ${slot.index} runs configuration version ${slot.version}, not ${version}`;
      }
    }
    return undefined;
  }

  workers(): WorkerStatus[] {
    return this.#slots.map((slot) => ({
      slot: slot.index,
      pid: slot.channel?.pid,
      state: slot.state,
      config_version: slot.version,
      restarts: slot.restarts,
    }));
  }

  /**
   * Every running worker's metrics (prom-client's JSON form, one array per worker), for the main
   * process to aggregate; a worker that does not answer within `timeoutMs` is left out.
   */
  collectMetrics(timeoutMs = 2_000): Promise<(readonly unknown[])[]> {
    const seq = ++this.#scrapeSeq;
    const answers = this.#slots
      .filter((slot) => slot.state === 'running' && slot.channel !== undefined)
      .map(
        (slot) =>
          new Promise<readonly unknown[]>((resolve) => {
            const timer = setTimeout(() => {
              slot.scrapes.delete(seq);
              resolve([]);
            }, timeoutMs);
            slot.scrapes.set(seq, (metrics) => {
              clearTimeout(timer);
              resolve(metrics);
            });
            slot.channel!.send({ type: 'metrics', seq });
          }),
      );
    return Promise.all(answers);
  }

  /** Asks every running worker to reopen its log files (SIGUSR1, reload). */
  reopenLogs(): void {
    for (const slot of this.#slots) if (slot.state === 'running') slot.channel?.send({ type: 'reopen-logs' });
  }

  /**
   * Rolling replacement (a reload that changes what workers are started with: listeners, plugins,
   * pools, `worker_processes`): `count` new workers start with `settings` and the current
   * configuration, one at a time; each old one is drained once its successor listens, so the
   * shared listeners never close and no connection is dropped. When a new worker fails to start,
   * the ones started so far are stopped, the old ones keep serving, and this throws: all or nothing.
   */
  async replace(settings: WorkerSettings, count: number, drainMs = 10_000): Promise<void> {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`a worker pool needs at least one worker, got ${count}`);
    const previous = this.#settings;
    const old = this.#slots.filter((slot) => !slot.retired);
    const fresh: Slot[] = [];
    this.#settings = settings;
    try {
      let next = Math.max(0, ...this.#slots.map((slot) => slot.index)) + 1;
      for (let i = 0; i < count; i++) {
        const slot = this.#newSlot(next++);
        const started = new Promise<void>((resolve, reject) => {
          slot.starting = { resolve, reject };
        });
        this.#slots.push(slot);
        fresh.push(slot);
        this.#spawn(slot);
        await started;
      }
    } catch (error) {
      this.#settings = previous;
      for (const slot of fresh) this.#retire(slot, 'now', Date.now());
      await Promise.all(fresh.map((slot) => slot.exited));
      throw error;
    }
    const deadline = Date.now() + drainMs;
    for (const slot of old) this.#retire(slot, 'drain', deadline);
    this.#log.info({ workers: count, replaced: old.length }, 'proxy workers replaced');
  }

  /** Stops one worker for good (replaced): it is not restarted, and leaves the pool once gone. */
  #retire(slot: Slot, mode: StopMode, deadline: number): void {
    slot.retired = true;
    clearTimeout(slot.restartTimer);
    if (slot.channel === undefined) {
      const at = this.#slots.indexOf(slot);
      if (at !== -1) this.#slots.splice(at, 1);
      return;
    }
    slot.channel.send({ type: 'stop', mode, deadline });
    const channel = slot.channel;
    const killer = setTimeout(() => channel.kill('SIGKILL'), Math.max(0, deadline - Date.now()) + 2_000);
    killer.unref();
    void slot.exited.then(() => clearTimeout(killer));
  }

  /** Asks every worker to stop (`now`) or drain; kills those still alive after the deadline. */
  async stop(mode: StopMode, deadline: number): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.restartTimer);
      slot.channel?.send({ type: 'stop', mode, deadline });
    }
    const grace = this.#options.killGraceMs ?? 2_000;
    const killer = setTimeout(
      () => {
        for (const slot of this.#slots) {
          if (slot.channel === undefined) continue;
          this.#log.warn(
            { worker: slot.index, worker_pid: slot.channel.pid },
            'worker did not stop in time: killing it',
          );
          slot.channel.kill('SIGKILL');
        }
      },
      Math.max(0, deadline - Date.now()) + grace,
    );
    try {
      await Promise.all(this.#slots.map((slot) => slot.exited));
    } finally {
      clearTimeout(killer);
    }
  }

  #newSlot(index: number): Slot {
    const slot: Slot = {
      index,
      channel: undefined,
      state: 'starting',
      version: undefined,
      ports: [],
      restarts: 0,
      crashes: 0,
      startedAt: 0,
      pending: new Map(),
      scrapes: new Map(),
      restartTimer: undefined,
      exited: Promise.resolve(),
      markExited: () => {},
      starting: undefined,
      retired: false,
    };
    return slot;
  }

  #spawn(slot: Slot): void {
    slot.restartTimer = undefined;
    if (this.#stopping) return;
    slot.state = 'starting';
    slot.version = undefined;
    slot.startedAt = Date.now();
    slot.exited = new Promise<void>((resolve) => {
      slot.markExited = resolve;
    });
    const channel: WorkerChannel = this.#options.spawn(slot.index, {
      message: (message) => {
        if (slot.channel === channel) this.#onMessage(slot, message);
      },
      exit: (code, signal) => {
        if (slot.channel === channel) this.#onExit(slot, code, signal);
      },
    });
    slot.channel = channel;
    channel.send({
      type: 'start',
      slot: slot.index,
      settings: this.#settings,
      config: cloneable(this.#current),
    });
  }

  #onMessage(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        slot.state = 'running';
        slot.version = message.version;
        slot.ports = message.ports;
        this.#log.info(
          { worker: slot.index, worker_pid: slot.channel?.pid, version: message.version },
          'worker started',
        );
        slot.starting?.resolve();
        slot.starting = undefined;
        if (this.#startup !== undefined && this.#slots.every((s) => s.state === 'running'))
          this.#startup.resolve();
        if (!this.#applying) this.#catchUp();
        // A new worker's balancers start from scratch: what a health report says may differ.
        this.#healthChanged();
        return;
      case 'health-changed':
        this.#healthChanged();
        return;
      case 'start-failed':
        this.#log.error(
          { worker: slot.index, worker_pid: slot.channel?.pid, error: message.error },
          'worker failed to start',
        );
        if (slot.starting !== undefined) {
          slot.starting.reject(new WorkerError(`worker ${slot.index} failed to start: ${message.error}`));
          slot.starting = undefined;
          return;
        }
        this.#failStart(new WorkerError(`worker ${slot.index} failed to start: ${message.error}`));
        return;
      case 'applied':
        slot.version = message.version;
        slot.pending.get(message.seq)?.({ ok: true, problems: message.problems });
        slot.pending.delete(message.seq);
        return;
      case 'admin-reply':
        this.#adminPending.get(message.seq)?.(message);
        return;
      case 'counters-take':
        slot.channel?.send(this.#counters.answer(message));
        return;
      case 'datastore-write':
        this.#datastoreWrite(slot, message.seq, message.plugin, message.op);
        return;
      case 'metrics':
        slot.scrapes.get(message.seq)?.(message.metrics);
        slot.scrapes.delete(message.seq);
        return;
      case 'apply-failed':
        slot.pending.get(message.seq)?.({
          ok: false,
          error: message.error,
          ...(message.stale === true ? { stale: true } : {}),
        });
        slot.pending.delete(message.seq);
        return;
    }
  }

  #datastoreWrite(slot: Slot, seq: number, plugin: string, op: unknown): void {
    const write = this.#options.datastore;
    const answer = (reply: PrimaryMessage) => slot.channel?.send(reply);
    if (write === undefined) {
      answer({ type: 'datastore-written', seq, error: 'this node has no datastore its proxy writes to' });
      return;
    }
    write(plugin, op).then(
      (reply) => answer({ type: 'datastore-written', seq, reply }),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        const code = (e as { code?: unknown }).code;
        answer({
          type: 'datastore-written',
          seq,
          error: e.message,
          ...(typeof code === 'string' ? { code } : {}),
        });
      },
    );
  }

  #onExit(slot: Slot, code: number | null, signal: string | null): void {
    const pid = slot.channel?.pid;
    slot.channel = undefined;
    slot.state = 'exited';
    slot.version = undefined;
    const reason = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
    for (const resolve of slot.pending.values()) resolve({ ok: false, error: `the worker ${reason}` });
    slot.pending.clear();
    for (const resolve of slot.scrapes.values()) resolve([]);
    slot.scrapes.clear();
    slot.markExited();
    if (slot.starting !== undefined) {
      slot.starting.reject(new WorkerError(`worker ${slot.index} (pid ${pid}) ${reason} while starting`));
      slot.starting = undefined;
      slot.retired = true;
    }
    if (slot.retired) {
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      return;
    }
    if (this.#stopping) return;
    if (this.#startup !== undefined) {
      this.#failStart(new WorkerError(`worker ${slot.index} (pid ${pid}) ${reason} while starting`));
      return;
    }
    slot.crashes = Date.now() - slot.startedAt < STABLE_AFTER_MS ? slot.crashes + 1 : 1;
    const delay = (this.#options.restartDelay ?? defaultRestartDelay)(slot.crashes);
    this.#log.error(
      { worker: slot.index, worker_pid: pid, code, signal, restart_in_ms: delay },
      `worker process ${reason}; restarting it`,
    );
    slot.restarts += 1;
    slot.restartTimer = setTimeout(() => this.#spawn(slot), delay);
    slot.restartTimer.unref();
  }

  #failStart(error: Error): void {
    const startup = this.#startup;
    this.#startup = undefined;
    startup?.reject(error);
  }

  /**
   * Runs `op` through the `plugin` handler's nodeAdmin hook in every running worker: the replies,
   * one per worker that answered within `timeoutMs` (a worker that threw or lacks the hook is
   * left out and logged). The node's Admin API reaches the workers' plugin state this way.
   */
  async pluginAdmin(plugin: string, op: unknown, timeoutMs = 5000): Promise<unknown[]> {
    const replies: unknown[] = [];
    for (const reply of await this.#askAll((seq) => ({ type: 'plugin-admin', seq, plugin, op }), timeoutMs)) {
      if (reply === undefined) this.#log.warn({ plugin }, 'a worker did not answer a plugin admin call');
      else if (reply.error !== undefined)
        this.#log.warn({ plugin, error: reply.error }, 'plugin admin call failed');
      else replies.push(reply.reply);
    }
    return replies;
  }

  /**
   * Runs `op` on the balancers of every running worker (the Admin API's upstream health): the
   * replies of the workers that have the upstream, or the first refusal's message.
   */
  async balancerAdmin(
    op: BalancerAdminOp,
    timeoutMs = 5000,
  ): Promise<{ replies: unknown[]; error?: string }> {
    const replies: unknown[] = [];
    let error: string | undefined;
    for (const reply of await this.#askAll((seq) => ({ type: 'balancer-admin', seq, op }), timeoutMs)) {
      if (reply === undefined) this.#log.warn({ op: op.op }, 'a worker did not answer a balancer admin call');
      else if (reply.error !== undefined) error ??= reply.error;
      else if (reply.reply !== undefined) replies.push(reply.reply);
    }
    return error === undefined ? { replies } : { replies, error };
  }

  /**
   * Calls `listener` when a worker's balancers saw a peer's health or a target's DNS answer change,
   * or a worker (re)started; returns the unsubscribe function.
   */
  onHealthChanged(listener: () => void): () => void {
    this.#healthListeners.add(listener);
    return () => this.#healthListeners.delete(listener);
  }

  #healthChanged(): void {
    for (const listener of this.#healthListeners) listener();
  }

  /** Sends a message built with a fresh seq to every running worker; each one's reply, undefined past `timeoutMs`. */
  #askAll(message: (seq: number) => PrimaryMessage, timeoutMs: number): Promise<(AdminReply | undefined)[]> {
    return Promise.all(
      this.#slots
        .filter((slot) => slot.state === 'running' && slot.channel !== undefined)
        .map(
          (slot) =>
            new Promise<AdminReply | undefined>((resolve) => {
              const seq = ++this.#seq;
              const timer = setTimeout(() => {
                this.#adminPending.delete(seq);
                resolve(undefined);
              }, timeoutMs);
              timer.unref();
              this.#adminPending.set(seq, (reply) => {
                clearTimeout(timer);
                this.#adminPending.delete(seq);
                resolve(reply);
              });
              slot.channel!.send(message(seq));
            }),
        ),
    );
  }

  /** Sends one configuration and waits for the answer; a silent worker is killed (and restarted). */
  #request(slot: Slot, config: VersionedConfig | undefined): Promise<Answer> {
    return this.#exchange(slot, (seq) => ({ type: 'apply', seq, config: cloneable(config) }));
  }

  /** Sends the changes only; a worker that turns out not to hold `fromVersion` gets `next` whole. */
  async #requestDelta(slot: Slot, next: VersionedConfig, delta: ConfigDelta): Promise<Answer> {
    const answer = await this.#exchange(slot, (seq) => ({
      type: 'apply-delta',
      seq,
      fromVersion: delta.fromVersion,
      version: next.version,
      hash: next.hash,
      changes: delta.changes,
    }));
    if (answer.ok || answer.stale !== true) return answer;
    this.#log.warn(
      { worker: slot.index, error: answer.error },
      'worker could not take a delta: sending it all',
    );
    return this.#request(slot, next);
  }

  #exchange(slot: Slot, message: (seq: number) => PrimaryMessage): Promise<Answer> {
    const channel = slot.channel;
    if (channel === undefined) return Promise.resolve({ ok: false, error: 'the worker is not running' });
    const seq = ++this.#seq;
    const timeoutMs = this.#options.applyTimeoutMs ?? 60_000;
    return new Promise<Answer>((resolve) => {
      // The verdict waits for what the channel already holds: a busy main loop is not a silent worker.
      const timer = afterPendingInput(timeoutMs, () => {
        if (!slot.pending.delete(seq)) return;
        resolve({ ok: false, error: `the worker did not answer within ${timeoutMs} ms` });
        channel.kill('SIGKILL');
      });
      slot.pending.set(seq, (answer) => {
        timer.cancel();
        resolve(answer);
      });
      channel.send(message(seq));
    });
  }

  /** Puts a worker back on `previous`; one that cannot go back is restarted, which starts it there. */
  async #bringTo(slot: Slot, previous: VersionedConfig | undefined): Promise<void> {
    const answer = await this.#request(slot, previous);
    if (answer.ok) return;
    this.#log.error(
      { worker: slot.index, version: versionOf(previous), error: answer.error },
      'worker could not go back to the previous configuration: restarting it',
    );
    slot.channel?.kill('SIGTERM');
  }

  /** Brings running workers that missed a version (started during an apply) to the current one. */
  #catchUp(): void {
    if (this.#stopping) return;
    const version = this.version;
    for (const slot of this.#slots) {
      if (slot.state !== 'running' || slot.retired || slot.version === version || slot.pending.size > 0)
        continue;
      this.#bringTo(slot, this.#current).catch((error: unknown) => {
        this.#log.error({ err: error, worker: slot.index }, 'worker catch-up failed');
      });
    }
  }
}
