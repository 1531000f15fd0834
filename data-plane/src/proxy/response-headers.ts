/**
 * An upstream's response headers as the client gets them: hop-by-hop headers dropped (and those
 * its Connection names), Kong's Via added, its X-Kong-Request-Id dropped when the proxy sends its own. A 101's are kept whole: Connection and Upgrade are the
 * switch itself.
 */

import { VIA_TOKEN } from './kong-responses.ts';
import { HOP_BY_HOP } from './request-headers.ts';
import type { ResponseHeaderFlags } from './settings.ts';

/** The proxy sends its own (when `headers` lists it): the upstream's is dropped, as Kong replaces it. */
const REQUEST_ID = 'x-kong-request-id';
const INTERESTING_LENGTH = new Uint8Array(32);
for (const name of [...HOP_BY_HOP, 'via', REQUEST_ID]) INTERESTING_LENGTH[name.length] = 1;

/** Connection-named headers of the upstream's response, lowercase; undefined when none. */
function namedInConnection(value: string): Set<string> | undefined {
  let named: Set<string> | undefined;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    named ??= new Set();
    named.add(name);
  }
  return named;
}

/** The client-bound headers: the upstream's minus hop-by-hop, plus Via. */
export function clientHeaders(raw: readonly (Buffer | string)[], flags: ResponseHeaderFlags): string[] {
  const out: string[] = [];
  let via: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const value = raw[i + 1]!.toString('latin1');
    if (name.length < 32 && INTERESTING_LENGTH[name.length] === 1) {
      const lower = name.toLowerCase();
      if (lower === 'connection') {
        connection = value;
        continue;
      }
      if (HOP_BY_HOP.has(lower)) continue;
      if (lower === REQUEST_ID && flags.requestId) continue;
      if (lower === 'via' && flags.via) {
        via = via === undefined ? value : `${via}, ${value}`;
        continue;
      }
    }
    out.push(name, value);
  }
  if (flags.via) out.push('Via', via === undefined ? VIA_TOKEN : `${via}, ${VIA_TOKEN}`);
  if (connection === undefined) return out;
  const named = namedInConnection(connection);
  if (named === undefined) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    if (!named.has(out[i]!.toLowerCase())) kept.push(out[i]!, out[i + 1]!);
  }
  return kept;
}

/** A 101's headers as the upstream sent them (undici's parsed object), with Kong's Via. */
export function switchingHeaders(
  headers: Record<string, string | string[] | undefined>,
  flags: ResponseHeaderFlags,
): string[] {
  const out: string[] = [];
  let via: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || (name === REQUEST_ID && flags.requestId)) continue;
    if (name === 'via' && flags.via) {
      via = Array.isArray(value) ? value.join(', ') : value;
      continue;
    }
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  if (flags.via) out.push('Via', via === undefined ? VIA_TOKEN : `${via}, ${VIA_TOKEN}`);
  return out;
}
