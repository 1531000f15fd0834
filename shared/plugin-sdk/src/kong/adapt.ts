/**
 * A module in the shape of Kong's JavaScript plugin server (kong-js-pdk) as a Turnpike plugin:
 *
 *   module.exports = { Plugin: class { constructor(config) {…} async access(kong) {…} },
 *                      Schema: [{ message: { type: 'string' } }], Version: '0.1.0', Priority: 0 }
 *
 * `Plugin` is instantiated once per plugin configuration (Kong's StartInstance), with a copy of
 * the validated config; `rewrite`, `access` and `log` run in Turnpike's phases of the same names,
 * with the `kong` PDK of ./pdk.ts. Kong's other phases (`response`, which needs buffered proxying,
 * `certificate`, `preread`) are refused at load with the phase named.
 */
import { KongPdkUnsupportedError } from '../../../src/errors.ts';
import type { PluginSchema } from '../../../src/schema/index.ts';
import type { PluginContext } from '../context.ts';
import type { PluginConfig, PluginHandler } from '../handler.ts';
import { kongPdkFor } from './pdk.ts';
import { schemaFromKong } from './schema.ts';

/** What a Kong JS plugin module exports. */
export interface KongJsModule {
  readonly Plugin: new (config: Record<string, unknown>) => KongJsInstance;
  readonly Schema?: unknown;
  readonly Version?: unknown;
  readonly Priority?: unknown;
  readonly Name?: unknown;
}

type KongPhase = (kong: unknown) => unknown;
interface KongJsInstance {
  rewrite?: KongPhase;
  access?: KongPhase;
  log?: KongPhase;
}

const SUPPORTED = ['rewrite', 'access', 'log'] as const;
const REFUSED = ['response', 'certificate', 'preread'] as const;

/** The module's exports (`module.exports`, or an ES module's `default`), when in Kong's shape. */
export function kongJsModule(exports: unknown): KongJsModule | undefined {
  // A CommonJS module imported from ESM: `default` is module.exports whole (the named exports
  // Node detects may be only some of its keys).
  const candidates = [(exports as { default?: unknown } | undefined)?.default, exports];
  for (const c of candidates) {
    if (typeof c === 'object' && c !== null && typeof (c as { Plugin?: unknown }).Plugin === 'function') {
      return c as KongJsModule;
    }
  }
  return undefined;
}

/** Kong's VERSION rule: x.y.z. */
const VERSION = /^\d+\.\d+\.\d+$/;

/**
 * The handler and schema for Kong JS plugin `name`; throws (naming the problem) for another
 * `Name`, a version not x.y.z, a non-integer priority or a phase Turnpike does not run.
 */
export function fromKongJsModule(
  mod: KongJsModule,
  name: string,
): { handler: PluginHandler; schema: PluginSchema } {
  if (mod.Name !== undefined && String(mod.Name).toLowerCase() !== name) {
    throw new TypeError(`the module's Name is '${String(mod.Name)}', not '${name}'`);
  }
  if (typeof mod.Version !== 'string' || !VERSION.test(mod.Version)) {
    throw new TypeError(
      `its Version does not follow the "x.y.z" format, got: ${JSON.stringify(mod.Version)}`,
    );
  }
  const priority = mod.Priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority)) {
    throw new TypeError(`its Priority is not an integer, got: ${JSON.stringify(priority)}`);
  }
  const proto = mod.Plugin.prototype as Record<string, unknown>;
  for (const phase of REFUSED) {
    if (typeof proto[phase] === 'function') {
      throw new KongPdkUnsupportedError(
        `its '${phase}' phase is not supported by Turnpike (rewrite, access and log are; see docs/plugins.md, "Kong JavaScript PDK")`,
      );
    }
  }
  const instances = new WeakMap<PluginConfig, KongJsInstance>();
  const instanceFor = (config: PluginConfig): KongJsInstance => {
    let instance = instances.get(config);
    if (instance === undefined) {
      // Kong hands each instance a config decoded afresh: the plugin may keep and change it.
      instance = new mod.Plugin(structuredClone(config) as Record<string, unknown>);
      instances.set(config, instance);
    }
    return instance;
  };
  const phases: Partial<Record<(typeof SUPPORTED)[number], unknown>> = {};
  if (typeof proto.rewrite === 'function') {
    phases.rewrite = async (ctx: PluginContext, config: PluginConfig) => {
      await instanceFor(config).rewrite!(kongPdkFor(ctx));
    };
  }
  if (typeof proto.access === 'function') {
    phases.access = async (ctx: PluginContext, config: PluginConfig) => {
      await instanceFor(config).access!(kongPdkFor(ctx));
    };
  }
  if (typeof proto.log === 'function') {
    // Turnpike's log phase does not wait; a rejection is logged with the plugin's logger.
    phases.log = (ctx: PluginContext, config: PluginConfig) => {
      const log = ctx.log;
      const done = instanceFor(config).log!(kongPdkFor(ctx));
      if (done instanceof Promise) {
        done.catch((err: unknown) => log.error({ err, phase: 'log' }, 'plugin failed'));
      }
    };
  }
  const handler = { name, version: mod.Version, priority, ...phases } as PluginHandler;
  return { handler, schema: schemaFromKong(name, mod.Schema) };
}
