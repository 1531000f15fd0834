/**
 * The PROXY protocol header (haproxy's v1 text and v2 binary) a load balancer in front sends
 * before the client's bytes, on a `stream_listen` entry flagged `proxy_protocol`. The framing
 * (where the header ends) is read here; the header itself is parsed by proxy-protocol-js.
 */

import { isIP } from 'node:net';
import {
  Command,
  IPv4ProxyAddress,
  IPv6ProxyAddress,
  V1ProxyProtocol,
  V2ProxyProtocol,
} from 'proxy-protocol-js';

const V1_PREFIX = Buffer.from('PROXY ');
/** The longest v1 header, CRLF included (the spec's 107 bytes). */
const V1_MAX = 107;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export interface ProxiedAddress {
  readonly ip: string;
  readonly port: number;
}

export type ProxyHeader =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid' }
  | {
      readonly kind: 'header';
      /** Bytes the header took: what follows is the client's. */
      readonly length: number;
      /** The client and the address it connected to; undefined for UNKNOWN / LOCAL (keep the peer's). */
      readonly source: ProxiedAddress | undefined;
      readonly destination: ProxiedAddress | undefined;
    };

function startsWithPart(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function v6(bytes: readonly number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** Reads the header at the start of `buf`: incomplete (read more), invalid (close), or the header. */
export function readProxyHeader(buf: Buffer): ProxyHeader {
  if (startsWithPart(buf, V1_PREFIX) && buf.length <= V1_PREFIX.length) return { kind: 'incomplete' };
  if (buf.subarray(0, V1_PREFIX.length).equals(V1_PREFIX)) {
    const end = buf.indexOf('\r\n');
    if (end === -1 || end + 2 > V1_MAX)
      return buf.length < V1_MAX ? { kind: 'incomplete' } : { kind: 'invalid' };
    const text = buf.subarray(0, end + 2).toString('latin1');
    if (text.startsWith('PROXY UNKNOWN')) {
      return { kind: 'header', length: end + 2, source: undefined, destination: undefined };
    }
    try {
      const parsed = V1ProxyProtocol.parse(text);
      const source = { ip: parsed.source.ipAddress, port: parsed.source.port };
      const destination = { ip: parsed.destination.ipAddress, port: parsed.destination.port };
      if (isIP(source.ip) === 0 || isIP(destination.ip) === 0) return { kind: 'invalid' };
      return { kind: 'header', length: end + 2, source, destination };
    } catch {
      return { kind: 'invalid' };
    }
  }
  if (!startsWithPart(buf, V2_SIGNATURE)) return { kind: 'invalid' };
  if (buf.length < 16) return { kind: 'incomplete' };
  const length = 16 + buf.readUInt16BE(14);
  if (buf.length < length) return { kind: 'incomplete' };
  try {
    const parsed = V2ProxyProtocol.parse(new Uint8Array(buf.subarray(0, length)));
    const address = parsed.proxyAddress;
    if (parsed.command === Command.LOCAL)
      return { kind: 'header', length, source: undefined, destination: undefined };
    if (address instanceof IPv4ProxyAddress) {
      return {
        kind: 'header',
        length,
        source: { ip: address.sourceAddress.address.join('.'), port: address.sourcePort },
        destination: { ip: address.destinationAddress.address.join('.'), port: address.destinationPort },
      };
    }
    if (address instanceof IPv6ProxyAddress) {
      return {
        kind: 'header',
        length,
        source: { ip: v6(address.sourceAddress.address), port: address.sourcePort },
        destination: { ip: v6(address.destinationAddress.address), port: address.destinationPort },
      };
    }
    return { kind: 'header', length, source: undefined, destination: undefined };
  } catch {
    return { kind: 'invalid' };
  }
}
