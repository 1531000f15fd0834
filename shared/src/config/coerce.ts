import { isIP } from 'node:net';
import type { TSchema } from '@sinclair/typebox';
import { parseDsn } from './dsn.ts';
import { annotationsOf, choicesOf, type ListItemKind, type ValueKind } from './keys.ts';
import { parseListen } from './listen.ts';
import {
  isIpOrCidr,
  type Parsed,
  parseBoolean,
  parseChoice,
  parseCspHeaderValue,
  parseHostPort,
  parseHttpUrl,
  parseInteger,
  parseList,
  parseSize,
  parseUuid,
  parseWorkers,
} from './values.ts';

/** What a value should look like, for secret keys whose own value may not be quoted. */
const EXPECTED: Record<ValueKind | ListItemKind, string> = {
  string: 'a string',
  path: 'a path',
  boolean: 'on, off, true or false',
  integer: 'an integer',
  size: 'a size such as 0, 8k or 1m',
  enum: 'one of the allowed values',
  list: 'a comma-separated list',
  listen: 'off or <ip>:<port> [flags], comma-separated',
  dsn: 'memory, pglite:///abs/dir, pglite://./rel/dir or a postgres:// URL',
  workers: 'auto or a positive integer',
  uuid: 'a UUID',
  hostport: '<host>:<port>',
  url: 'http(s)://host[:port][/path]',
  urlpath: 'a path such as / or /manager',
  csp: 'a Content-Security-Policy header value',
  'ip-or-cidr': 'IP addresses or CIDR blocks',
  'ip-with-port': 'IP addresses, each with an optional :port',
  'secret-key': 'keys of 16 characters or more',
};

/** The smallest secrets_default key, as Ory Kratos requires of its secrets. */
export const MIN_SECRET_KEY_LENGTH = 16;

/**
 * Turns one key's text into its value, driven by the key's schema. Returns undefined for an
 * empty optional key. A failure's reason never contains a secret key's value.
 */
export function coerceValue(schema: TSchema, text: string): Parsed<unknown> {
  const a = annotationsOf(schema);
  const result = coerceVisible(schema, text);
  if (result.ok || !a['x-secret']) return result;
  return {
    ok: false,
    reason: `invalid value (hidden: secret): expected ${EXPECTED[a['x-item'] ?? a['x-kind']]}`,
  };
}

function coerceVisible(schema: TSchema, text: string): Parsed<unknown> {
  const a = annotationsOf(schema);
  const kind = a['x-kind'];
  if (text === '' && kind === 'list') return { ok: true, value: [] };
  if (text === '') {
    if (a['x-default'] !== undefined || kind === 'listen') {
      return { ok: false, reason: `must not be empty (default: ${a['x-default'] ?? 'none'})` };
    }
    return { ok: true, value: undefined };
  }
  switch (kind) {
    case 'string':
    case 'path':
      return { ok: true, value: text };
    case 'boolean':
      return parseBoolean(text);
    case 'integer':
      return parseInteger(text, schema as { minimum?: number; maximum?: number });
    case 'size':
      return parseSize(text);
    case 'enum':
      return parseChoice(text, choicesOf(schema) ?? []);
    case 'list':
      return coerceList(schema, text);
    case 'listen':
      return parseListen(text);
    case 'dsn': {
      const dsn = parseDsn(text);
      return dsn.ok ? { ok: true, value: text } : dsn;
    }
    case 'workers':
      return parseWorkers(text);
    case 'uuid':
      return parseUuid(text);
    case 'hostport': {
      const hp = parseHostPort(text);
      if (hp === undefined) return { ok: false, reason: `invalid value '${text}': expected <host>:<port>` };
      return { ok: true, value: text };
    }
    case 'url':
      return parseHttpUrl(text, { schemeOptional: true });
    case 'urlpath':
      return parseUrlPath(text);
    case 'csp':
      return parseCspHeaderValue(text);
  }
}

/** Kong's admin_gui_path rules (kong/conf_loader): its own words for each. */
function parseUrlPath(text: string): Parsed<unknown> {
  if (!text.startsWith('/')) return { ok: false, reason: "must start with a slash ('/')" };
  if (text.length > 1 && text.endsWith('/')) return { ok: false, reason: "must not end with a slash ('/')" };
  if (!/^[A-Za-z0-9\-_/]+$/.test(text))
    return {
      ok: false,
      reason: "can only contain letters, digits, hyphens ('-'), underscores ('_'), and slashes ('/')",
    };
  if (text.includes('//')) return { ok: false, reason: "must not contain continuous slashes ('/')" };
  return { ok: true, value: text };
}

function coerceList(schema: TSchema, text: string): Parsed<unknown> {
  const items = parseList(text);
  if (!items.ok) return items;
  const choices = choicesOf(schema);
  if (choices !== undefined) {
    const chosen: string[] = [];
    for (const item of items.value) {
      const choice = parseChoice(item, choices);
      if (!choice.ok)
        return { ok: false, reason: `invalid entry '${item}': expected one of: ${choices.join(', ')}` };
      chosen.push(choice.value);
    }
    return { ok: true, value: chosen };
  }
  const check = ITEM_CHECKS[annotationsOf(schema)['x-item'] ?? 'none'];
  for (const item of items.value) {
    const problem = check(item);
    if (problem !== undefined) return { ok: false, reason: problem };
  }
  return items;
}

const ITEM_CHECKS: Record<ListItemKind | 'none', (item: string) => string | undefined> = {
  none: () => undefined,
  'ip-or-cidr': (item) =>
    isIpOrCidr(item) ? undefined : `invalid entry '${item}': expected an IP address or CIDR block`,
  'ip-with-port': (item) => {
    const hp = parseHostPort(item, { portOptional: true });
    return hp !== undefined && isIP(hp.host) !== 0
      ? undefined
      : `invalid entry '${item}': expected an IP address, optionally with :port`;
  },
  url: (item) => {
    const parsed = parseHttpUrl(item);
    return parsed.ok ? undefined : parsed.reason.replace('invalid value', 'invalid entry');
  },
  'secret-key': (item) =>
    item.length >= MIN_SECRET_KEY_LENGTH
      ? undefined
      : `an entry is shorter than ${MIN_SECRET_KEY_LENGTH} characters`,
};
