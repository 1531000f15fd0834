import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { isAcceptedValue, KONG_KEYS, kongKeyRule } from './kong-keys.ts';
import { CONFIG_KEYS, isConfigKey } from './schema.ts';

const FIXTURES = new URL('./fixtures/kong-3.10/', import.meta.url);

/** Kong 3.10's kong.conf.default: every `#key = default` line. */
export const KONG_CONF_DEFAULT = readFileSync(new URL('kong.conf.default', FIXTURES), 'utf8');
const KONG_DEFAULTS_LUA = readFileSync(new URL('kong_defaults.lua', FIXTURES), 'utf8');

function confKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const match of text.matchAll(/^#([a-z_0-9]+) *= *([^#\n]*)/gm)) {
    keys.set(match[1] as string, (match[2] as string).trim());
  }
  return keys;
}

/** kong_defaults.lua: the `key = value` lines of its one long string; NONE is Kong's empty value. */
function defaultsKeys(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const match of text.matchAll(/^([a-z_0-9]+) *= *(.*)$/gm)) {
    const value = (match[2] as string).trim();
    keys.set(match[1] as string, value === 'NONE' ? '' : value);
  }
  return keys;
}

const FROM_CONF = confKeys(KONG_CONF_DEFAULT);
const FROM_DEFAULTS = defaultsKeys(KONG_DEFAULTS_LUA);
/** Deprecated names Kong 3.10 still reads (kong/conf_loader/constants.lua CONF_PARSERS). */
const DEPRECATED = ['privileged_worker', 'router_consistency', 'opentelemetry_tracing'];

/** Refused keys whose Kong default asks for what Turnpike does not do: Kong serves these by default. */
const DEFAULTS_TURNPIKE_LACKS = new Map<string, string>([]);

describe("Kong 3.10's keys", () => {
  it('reads the fixtures: kong.conf.default and kong_defaults.lua as Kong ships them', () => {
    assert.ok(FROM_CONF.size > 170, `${FROM_CONF.size} keys in kong.conf.default`);
    assert.ok(FROM_DEFAULTS.size > 200, `${FROM_DEFAULTS.size} keys in kong_defaults.lua`);
    assert.equal(FROM_CONF.get('proxy_listen'), FROM_DEFAULTS.get('proxy_listen'));
  });

  for (const [file, keys] of [
    ['kong.conf.default', FROM_CONF],
    ['kong_defaults.lua', FROM_DEFAULTS],
  ] as const) {
    it(`classifies every key of ${file}: implemented, ignored or refused, and never two of them`, () => {
      const unclassified: string[] = [];
      const twice: string[] = [];
      for (const key of keys.keys()) {
        const listed = Object.hasOwn(KONG_KEYS, key);
        if (isConfigKey(key) && listed) twice.push(key);
        if (!isConfigKey(key) && !listed) unclassified.push(key);
      }
      assert.deepEqual(unclassified, [], 'add these to KONG_KEYS in kong-keys.ts');
      assert.deepEqual(twice, [], 'a key of schema.ts is implemented: remove it from KONG_KEYS');
    });
  }

  it('lists no key Kong does not have, and aliases only keys of schema.ts', () => {
    const kong = new Set([...FROM_CONF.keys(), ...FROM_DEFAULTS.keys(), ...DEPRECATED]);
    assert.deepEqual(
      Object.keys(KONG_KEYS).filter((key) => !kong.has(key)),
      [],
    );
    for (const [key, rule] of Object.entries(KONG_KEYS)) {
      if (rule.kind === 'alias') assert.ok(isConfigKey(rule.of), `${key} → ${rule.of}`);
    }
  });

  it("accepts Kong's default value of every refused key, except where Kong's default does what Turnpike lacks", () => {
    const refusedDefaults: string[] = [];
    for (const [key, rule] of Object.entries(KONG_KEYS)) {
      if (rule.kind !== 'refused') continue;
      const value = FROM_DEFAULTS.get(key) ?? FROM_CONF.get(key);
      if (value !== undefined && !isAcceptedValue(rule, value)) refusedDefaults.push(key);
    }
    assert.deepEqual(refusedDefaults.sort(), [...DEFAULTS_TURNPIKE_LACKS.keys()].sort());
  });

  it("classifies the keys of Kong's dynamic namespaces by prefix: injected nginx directives are ignored", () => {
    assert.equal(kongKeyRule('nginx_proxy_proxy_buffer_size')?.kind, 'ignored');
    assert.equal(kongKeyRule('nginx_http_lua_shared_dict')?.kind, 'ignored');
    assert.equal(kongKeyRule('vault_aws_region')?.kind, 'ignored');
    assert.equal(kongKeyRule('pluginserver_go_socket')?.kind, 'refused');
    assert.equal(kongKeyRule('no_such_key'), undefined);
    // A listed nginx key keeps its own class: the worker count has a meaning here.
    assert.deepEqual(kongKeyRule('nginx_worker_processes'), { kind: 'alias', of: 'worker_processes' });
  });

  it('leaves no key of schema.ts without a Kong name or a Turnpike note', () => {
    const kong = new Set([...FROM_CONF.keys(), ...FROM_DEFAULTS.keys()]);
    const turnpikeOnly = CONFIG_KEYS.filter((k) => !kong.has(k.name));
    for (const key of turnpikeOnly) {
      assert.match(
        key.description,
        /Turnpike|Kratos|Kong calls it|Kong Enterprise/,
        `${key.name} is not a Kong key: its description must say whose it is`,
      );
    }
  });
});
