import { KONG_KEYS, type KongKeyRule, kongKeyRule } from './kong-keys.ts';
import { CONFIG_KEYS, type ConfigKey, isConfigKey } from './schema.ts';
import { closestName } from './suggest.ts';

/** What a key name written in turnpike.conf / kong.conf, or in TURNPIKE_* / KONG_*, stands for. */
export type KeyName =
  /** A key of schema.ts, under its own name or one of Kong's (`alias`). */
  | { readonly kind: 'key'; readonly key: ConfigKey; readonly alias?: string }
  | (KongKeyRule & { readonly kind: 'ignored' | 'refused' })
  | { readonly kind: 'unknown'; readonly suggestion: string | undefined };

/** Every name a file may set: Turnpike's keys, then Kong's, for "did you mean". */
const KNOWN_NAMES: readonly string[] = [...CONFIG_KEYS.map((k) => k.name), ...Object.keys(KONG_KEYS)];

export function classifyName(name: string): KeyName {
  if (isConfigKey(name)) return { kind: 'key', key: name };
  const rule = kongKeyRule(name);
  if (rule === undefined) return { kind: 'unknown', suggestion: closestName(name, KNOWN_NAMES) };
  if (rule.kind === 'alias') return { kind: 'key', key: rule.of, alias: name };
  return rule;
}

/** Whether a name is one Turnpike or Kong knows (an environment variable naming none is not config). */
export function isKnownName(name: string): boolean {
  return isConfigKey(name) || kongKeyRule(name) !== undefined;
}

/**
 * Whether a value is, or lists, one of Kong's `{vault://…}` references (kong/pdk/vault.lua
 * is_reference, applied to each entry of a list by kong/conf_loader).
 */
export function hasVaultReference(text: string): boolean {
  return text.split(',').some((entry) => /^\{vault:\/\/.+\}$/.test(entry.trim()));
}

/** The message of a refused Kong key. */
export function refusal(why: string): string {
  return `not supported yet: ${why}`;
}
