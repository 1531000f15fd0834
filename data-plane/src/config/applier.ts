/**
 * The config apply path of one proxy worker (or one in-process proxy): decode → compile (or
 * patch) → swap → activate. Everything before the swap is pure, so a version refused at any step
 * — the decoder, a plugin this node lacks, a throw while compiling — leaves the running Runtime,
 * its balancers' targets, health and counters exactly as they were. It owns the RuntimeHolder:
 * readers get it as a RuntimeSource.
 *
 * Vault references are resolved while decoding (./vault-references.ts), once per version: a
 * reference that cannot be resolved becomes "" and a problem of the Runtime, as Kong logs it.
 * The version keeps its synced content, so deltas and hashes build on what the control plane sent.
 */

import { applyDelta, type ConfigChange, type VersionedConfig } from '@turnpike/shared/sync';
import type { Runtime, RuntimeSource } from '../runtime/index.ts';
import { activate } from './activate.ts';
import { compileRuntime, runtimeOf } from './compile.ts';
import { type DecodedConfig, decodeChanges, decodeContent, EMPTY_SYNCED } from './decode.ts';
import { RuntimeHolder } from './holder.ts';
import { patchRuntime } from './patch.ts';
import { runtimeConfigOf } from './runtime-config.ts';
import type { CompileRuntimeOptions, RuntimeConfig, RuntimeUpdate } from './types.ts';
import { touchesVaults, VaultResolver } from './vault-references.ts';

/** A delta from the version the applier holds to the next one. */
export interface ConfigDeltaUpdate {
  readonly fromVersion: number;
  readonly version: number;
  /** The next version's hash: the changes must lead there. */
  readonly hash: string;
  readonly changes: readonly ConfigChange[];
}

/** A delta that does not build on what the applier holds: nothing was compiled. */
export interface StaleDelta {
  readonly stale: string;
}

interface Held {
  readonly config: VersionedConfig;
  readonly decoded: DecodedConfig;
}

/** The Runtime with the references the version could not resolve among its problems. */
function withProblems(runtime: Runtime, vaults: VaultResolver): Runtime {
  if (vaults.problems.length === 0) return runtime;
  const { matchesHeaders: _derived, ...parts } = runtime;
  return runtimeOf({ ...parts, problems: [...vaults.problems, ...runtime.problems] });
}

export class ConfigApplier {
  readonly #options: CompileRuntimeOptions;
  readonly #holder: RuntimeHolder;
  readonly #emptyVersion: string | number;
  /** What the current Runtime was built from (null: the empty configuration). */
  #held: Held | null = null;

  /** Starts on the empty configuration (`emptyVersion`): nothing to activate. */
  constructor(options: CompileRuntimeOptions, emptyVersion: string | number = 0) {
    this.#options = options;
    this.#emptyVersion = emptyVersion;
    this.#holder = new RuntimeHolder(this.#empty());
  }

  /** Where requests read the Runtime. */
  get runtime(): RuntimeSource {
    return this.#holder;
  }

  /** The synced configuration the current Runtime was built from; null for the empty one. */
  get config(): VersionedConfig | null {
    return this.#held?.config ?? null;
  }

  /** A whole synced configuration (null: the empty one), decoded and compiled. */
  apply(config: VersionedConfig | null): Runtime {
    if (config === null) {
      const runtime = this.#swap(this.#empty());
      this.#held = null;
      return runtime;
    }
    const vaults = this.#vaults(config.config);
    const synced = decodeContent(config.config, vaults);
    // The running version lends its plugin instances and caches (a resync keeps basic-auth's).
    const compiled = compileRuntime(
      runtimeConfigOf(config.version, synced),
      this.#options,
      this.#holder.current,
    );
    const runtime = this.#swap(withProblems(compiled, vaults));
    // Set only now: a refused version (a throw above) leaves what the applier held.
    this.#held = { config, decoded: { content: config.config, synced } };
    return runtime;
  }

  /**
   * A delta on the configuration held: applied to its content, checked against `hash`, only the
   * changed entities decoded, the Runtime patched. Stale when the applier holds another version
   * or the hash differs (the sender then sends the whole configuration).
   */
  applyDelta(delta: ConfigDeltaUpdate): Runtime | StaleDelta {
    const held = this.#held;
    if (held === null || held.config.version !== delta.fromVersion) {
      return {
        stale: `a delta from version ${delta.fromVersion}, but this worker holds ${held?.config.version ?? 'none'}`,
      };
    }
    const applied = applyDelta(held.config.config, held.config.hash, delta.changes);
    if (applied.hash !== delta.hash) {
      return { stale: `version ${delta.version} hashes to ${applied.hash} here, not ${delta.hash}` };
    }
    const next = { version: delta.version, hash: applied.hash, config: applied.config };
    // A changed vault may change any secret: the version is decoded and compiled whole.
    if (touchesVaults(delta.changes)) return this.apply(next);
    const vaults = this.#vaults(applied.config);
    const decoded = decodeChanges(held.decoded, applied.config, delta.changes, vaults);
    const update = { version: delta.version, entities: decoded.synced, changes: delta.changes };
    const runtime = this.#swap(
      withProblems(patchRuntime(this.#holder.current, update, this.#options), vaults),
    );
    this.#held = { config: next, decoded };
    return runtime;
  }

  /** An already typed configuration (tests, benchmarks): compiled, swapped in, activated. */
  install(config: RuntimeConfig): Runtime {
    const runtime = this.#swap(compileRuntime(config, this.#options, this.#holder.current));
    this.#held = null;
    return runtime;
  }

  /** The next version as a patch of the current Runtime: compiled, swapped in, activated. */
  patch(update: RuntimeUpdate): Runtime {
    const runtime = this.#swap(patchRuntime(this.#holder.current, update, this.#options));
    this.#held = null;
    return runtime;
  }

  #vaults(content: VersionedConfig['config']): VaultResolver {
    return new VaultResolver(
      this.#options.environment ?? {},
      content.get('vaults')?.values() ?? [],
      this.#options.plugins?.schemas,
    );
  }

  #empty(): Runtime {
    return compileRuntime(
      { version: this.#emptyVersion, services: [], routes: [], entities: EMPTY_SYNCED },
      this.#options,
    );
  }

  #swap(next: Runtime): Runtime {
    const previous = this.#holder.swap(next);
    activate(next, previous, this.#options.balancers);
    return next;
  }
}
