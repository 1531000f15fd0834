/**
 * `custom_fields_by_lua` (Kong's typedefs.lua_code: a map of field name → Lua code). Turnpike runs
 * no Lua, so a non-empty map is refused at validation rather than accepted and ignored; an empty
 * map (or none) is fine.
 */
export const LUA_REFUSED =
  'Lua code is not run by Turnpike: custom_fields_by_lua must be empty (the log record is sent as serialized)';

function refuseLua(value: Readonly<Record<string, unknown>>): string | undefined {
  return Object.keys(value).length > 0 ? LUA_REFUSED : undefined;
}

export const luaCodeField = {
  type: 'map',
  keys: { type: 'string', len_min: 1 },
  values: { type: 'string', len_min: 1 },
  custom_validator: refuseLua,
} as const;
