/**
 * Vault references on the data plane: a `referenceable` field holding `{vault://…}` gets the
 * secret it names when a configuration version is decoded (never per request), as Kong's
 * process_auto_fields does on a data plane (kong/db/schema/init.lua resolve_reference with
 * kong/pdk/vault.lua). The synced content keeps the references: the configuration hash stays
 * the control plane's, and the cache file holds no secret.
 *
 * The one strategy is Kong's `env` (kong/vaults/env): the name, prefixed by the vault's
 * `config.prefix`, with `-` read as `_`, upper-cased, `_PREVIOUS` appended for version 2, looked
 * up in the data plane's environment. `{vault://env/…}` uses it directly; `{vault://<prefix>/…}`
 * through the vaults entity of that prefix. A `?prefix=` in the reference overrides the vault's.
 * A `/key` after the name reads that field of the JSON object the variable holds.
 *
 * What cannot be resolved becomes "" with Kong's message (`unable to resolve reference …`) in
 * the problems, which the apply path reports: the version still applies, as on Kong.
 */

import {
  BUNDLED_VAULTS,
  ENTITIES,
  type EntityDefinition,
  type EntityName,
  type FieldDescriptor,
  type FieldMap,
  isReference,
  type ParsedReference,
  type PluginSchemaLookup,
  parseReference,
} from '@turnpike/shared/schema';
import type { RouterProblem } from '../router/index.ts';

/** What the env vault reads: the data plane's environment. */
export type VaultEnvironment = Readonly<Record<string, string | undefined>>;

/** Rewrites the references of one value; returns it, or a copy with the secrets. */
type Resolve = (value: unknown, resolver: VaultResolver, at: string) => unknown;

const ENV_CONFIG_FIELDS = ENTITIES.vaults.subschemas.env.fields.config.fields;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isReferenceable(field: FieldDescriptor): boolean {
  return field.type === 'string' && field.referenceable === true;
}

/** How to find the references of a value of this field; undefined when it can hold none. */
function planField(field: FieldDescriptor): Resolve | undefined {
  if (isReferenceable(field)) {
    return (value, resolver, at) => (isReference(value) ? resolver.secret(value, at) : value);
  }
  if (field.type === 'record') return planRecord(field.fields);
  if (field.type === 'array' || field.type === 'set') {
    const element = planField(field.elements);
    if (element === undefined) return undefined;
    return (value, resolver, at) => {
      if (!Array.isArray(value)) return value;
      let out = value;
      value.forEach((item, i) => {
        const resolved = element(item, resolver, `${at}[${i}]`);
        if (resolved === item) return;
        if (out === value) out = [...value];
        out[i] = resolved;
      });
      return out;
    };
  }
  if (field.type === 'map') {
    const element = planField(field.values);
    if (element === undefined) return undefined;
    return (value, resolver, at) =>
      isRecord(value) ? resolveEntries(value, Object.keys(value), () => element, resolver, at) : value;
  }
  return undefined;
}

/** The record with the entries `keys` resolved by their plans, copied only if one changed. */
function resolveEntries(
  value: Record<string, unknown>,
  keys: readonly string[],
  planOf: (key: string) => Resolve | undefined,
  resolver: VaultResolver,
  at: string,
): Record<string, unknown> {
  let out = value;
  for (const key of keys) {
    const plan = planOf(key);
    if (plan === undefined || !(key in value)) continue;
    const resolved = plan(value[key], resolver, at === '' ? key : `${at}.${key}`);
    if (resolved === value[key]) continue;
    if (out === value) out = { ...value };
    out[key] = resolved;
  }
  return out;
}

function planRecord(fields: FieldMap): Resolve | undefined {
  const plans = new Map<string, Resolve>();
  for (const [name, field] of Object.entries(fields)) {
    const plan = planField(field);
    if (plan !== undefined) plans.set(name, plan);
  }
  if (plans.size === 0) return undefined;
  const keys = [...plans.keys()];
  return (value, resolver, at) =>
    isRecord(value) ? resolveEntries(value, keys, (key) => plans.get(key), resolver, at) : value;
}

const ENTITY_PLANS = new Map<EntityName, Resolve | undefined>();

function entityPlan(type: EntityName): Resolve | undefined {
  if (!ENTITY_PLANS.has(type))
    ENTITY_PLANS.set(type, planRecord((ENTITIES[type] as EntityDefinition).fields));
  return ENTITY_PLANS.get(type);
}

const PLUGIN_PLANS = new WeakMap<object, Resolve | null>();

/** A plugin's config, by its own schema (a custom plugin may mark its fields referenceable). */
function pluginPlan(schemas: PluginSchemaLookup | undefined, name: unknown): Resolve | undefined {
  const schema = typeof name === 'string' ? schemas?.(name) : undefined;
  if (schema === undefined) return undefined;
  let plan = PLUGIN_PLANS.get(schema);
  if (plan === undefined) {
    plan = planField(schema.fields.config) ?? null;
    PLUGIN_PLANS.set(schema, plan);
  }
  return plan ?? undefined;
}

/** Lua's string.upper: ASCII letters only. */
const upper = (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

/** Lua's type() names, for Kong's "unexpected %s value" message. */
function luaType(value: unknown): string {
  if (value === null) return 'userdata';
  if (Array.isArray(value) || typeof value === 'object') return 'table';
  return typeof value;
}

type Outcome = { readonly value: string } | { readonly error: string };

/** One configuration version's resolver: its vaults, this node's environment, a cache per reference. */
export class VaultResolver {
  readonly problems: RouterProblem[] = [];
  readonly #env: VaultEnvironment;
  readonly #byPrefix = new Map<string, Record<string, unknown>>();
  readonly #plugins: PluginSchemaLookup | undefined;
  readonly #cache = new Map<string, Outcome>();
  /** The entity being resolved, for the problems' messages. */
  #entity = '';

  constructor(env: VaultEnvironment, vaults: Iterable<unknown>, plugins?: PluginSchemaLookup) {
    this.#env = env;
    this.#plugins = plugins;
    for (const vault of vaults) {
      if (isRecord(vault) && typeof vault.prefix === 'string') this.#byPrefix.set(vault.prefix, vault);
    }
  }

  /** One decoded entity with its references resolved: the same object when it holds none. */
  resolve(type: EntityName, id: string, entity: Record<string, unknown>): Record<string, unknown> {
    this.#entity = `${type} ${id}`;
    const plan = entityPlan(type);
    let out = plan === undefined ? entity : (plan(entity, this, '') as Record<string, unknown>);
    if (type === 'plugins') {
      const config = pluginPlan(this.#plugins, entity.name);
      if (config !== undefined) {
        const resolved = config(out.config, this, 'config');
        if (resolved !== out.config) out = { ...out, config: resolved };
      }
    }
    return out;
  }

  /** The secret a reference names, or "" and a problem (Kong's resolve_reference). */
  secret(reference: string, at: string): string {
    let outcome = this.#cache.get(reference);
    if (outcome === undefined) {
      outcome = this.#lookup(reference);
      this.#cache.set(reference, outcome);
    }
    if ('value' in outcome) return outcome.value;
    this.problems.push({
      routeId: '',
      message: `${[this.#entity, at].filter((s) => s !== '').join(' ')}: unable to resolve reference ${reference} (${outcome.error})`,
    });
    return '';
  }

  #lookup(reference: string): Outcome {
    const parsed = parseReference(reference);
    if (!parsed.ok) return { error: parsed.error };
    const { name } = parsed.reference;
    let strategy: string;
    let base: Record<string, unknown> = {};
    if ((BUNDLED_VAULTS as readonly string[]).includes(name)) strategy = name;
    else {
      const vault = this.#byPrefix.get(name);
      if (vault === undefined) return { error: `could not find vault (${name})` };
      strategy = String(vault.name);
      if (isRecord(vault.config)) base = vault.config;
    }
    if (strategy !== 'env') return { error: `could not find vault (${strategy})` };
    return this.#fromEnv(parsed.reference, base);
  }

  #fromEnv(reference: ParsedReference, base: Record<string, unknown>): Outcome {
    // get_vault_config_and_hash: an override replaces the vault's value; an invalid one counts as none.
    const override = reference.config?.prefix;
    const prefix = typeof override === 'string' ? override : override === undefined ? base.prefix : undefined;
    const validPrefix =
      typeof prefix === 'string' && ENV_CONFIG_FIELDS.prefix.match.test(prefix) ? prefix : '';
    let variable = upper(`${validPrefix}${reference.resource}`.replaceAll('-', '_'));
    if (reference.version === 2) variable += '_PREVIOUS';
    const value = this.#env[variable];
    if (value === undefined) return { error: 'could not get value from external vault (no value found)' };
    if (reference.key === undefined) return { value };
    const subfield = this.#subfield(value, reference.key);
    return 'error' in subfield
      ? { error: `could not get value from external vault (could not get subfield value: ${subfield.error})` }
      : subfield;
  }

  #subfield(json: string, key: string): Outcome {
    let decoded: unknown;
    try {
      decoded = JSON.parse(json);
    } catch (err) {
      return { error: `unable to json decode value (nil): ${(err as Error).message}` };
    }
    if (!isRecord(decoded) && !Array.isArray(decoded))
      return { error: `unable to json decode value (${json}): nil` };
    const value = (decoded as Record<string, unknown>)[key];
    if (value === undefined) return { error: `subfield ${key} not found in JSON secret` };
    if (typeof value !== 'string')
      return { error: `unexpected ${luaType(value)} value in JSON secret for subfield ${key}` };
    return { value };
  }
}

/** Whether a version's entities hold any type the resolver reads (a delta touching vaults resolves all again). */
export function touchesVaults(changes: readonly { readonly entity: string }[]): boolean {
  return changes.some((c) => c.entity === 'vaults');
}
