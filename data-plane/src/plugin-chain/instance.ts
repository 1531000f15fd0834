/**
 * One plugin instance (a `plugins` entity) compiled for the chains: its config frozen, what its
 * phases receive (the config, or what the handler's `configure(config)` made of it, once here at
 * compile time), the protocols it runs for, and its `ctx.cache`. The cache belongs to the
 * instance id, not to a version: a recompiled instance (a new version, a changed config) takes
 * over its predecessor's, so a config push does not empty basic-auth's verified passwords.
 */

import type { Logger, PluginConfig, PluginHandler } from '@turnpike/plugin-sdk';
import { PluginConfigureError, toError } from '@turnpike/shared';
import { runInPlugin } from './plugin-scope.ts';
import type { PluginInstance } from './precedence.ts';

const DEFAULT_PROTOCOLS: readonly string[] = ['grpc', 'grpcs', 'http', 'https'];

/** What lives as long as the instance id: its cache, made on first use. */
class InstanceStore {
  cache: Map<string, unknown> | undefined;
}

export class CompiledInstance {
  readonly id: string;
  readonly name: string;
  /** The entity this was compiled from: a patch keeps the instance while the entity is the same. */
  readonly source: PluginInstance;
  readonly config: Readonly<Record<string, unknown>>;
  /** What the phases receive: `configure(config)`'s result, else the config (typed by the handler). */
  readonly conf: PluginConfig;
  readonly http: boolean;
  readonly https: boolean;
  /** Set when `configure` failed: every phase of this instance then fails with it. */
  readonly failure: PluginConfigureError | undefined;
  readonly #store: InstanceStore;

  constructor(
    source: PluginInstance,
    config: Readonly<Record<string, unknown>>,
    conf: unknown,
    failure: PluginConfigureError | undefined,
    store: InstanceStore,
  ) {
    const protocols = source.protocols ?? DEFAULT_PROTOCOLS;
    this.id = source.id;
    this.name = source.name;
    this.source = source;
    this.config = config;
    this.conf = conf as PluginConfig;
    this.http = protocols.includes('http');
    this.https = protocols.includes('https');
    this.failure = failure;
    this.#store = store;
    Object.freeze(this);
  }

  /** `ctx.cache` while this instance runs. */
  get cache(): Map<string, unknown> {
    this.#store.cache ??= new Map();
    return this.#store.cache;
  }

  /** The store a recompiled instance of the same id takes over. */
  get store(): InstanceStore {
    return this.#store;
  }
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/**
 * Compiles an instance; `previous` is the running one of the same id (its cache carries over).
 * A configure hook that throws, or returns a promise, leaves the instance failing (logged once
 * here); the version still applies.
 */
export function compileInstance(
  source: PluginInstance,
  handler: PluginHandler,
  previous: CompiledInstance | undefined,
  log: Logger,
): CompiledInstance {
  const store = previous?.store ?? new InstanceStore();
  const config = Object.freeze({ ...(source.config ?? {}) });
  const configure = handler.configure;
  if (configure === undefined) return new CompiledInstance(source, config, config, undefined, store);
  let failure: PluginConfigureError | undefined;
  let conf: unknown;
  try {
    conf = runInPlugin(source.name, configure, config, {
      id: source.id,
      routeId: source.route?.id ?? undefined,
      serviceId: source.service?.id ?? undefined,
      consumerId: source.consumer?.id ?? undefined,
    });
    if (isThenable(conf)) {
      // A rejection nobody waits for would reach the worker's safety net: catch it here.
      Promise.resolve(conf).catch(() => {});
      failure = new PluginConfigureError(
        source.name,
        source.id,
        'configure returned a promise; it must be synchronous',
      );
    }
  } catch (err) {
    failure = new PluginConfigureError(source.name, source.id, toError(err).message, { cause: err });
  }
  if (failure !== undefined) {
    log.error({ plugin: source.name, instance: source.id, err: failure }, 'plugin configure failed');
    return new CompiledInstance(source, config, config, failure, store);
  }
  return new CompiledInstance(source, config, conf === undefined ? config : conf, undefined, store);
}
