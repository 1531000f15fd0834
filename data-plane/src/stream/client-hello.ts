/**
 * The server name of a TLS ClientHello (RFC 8446 4.1.2, RFC 6066 3), read from the first bytes
 * of a connection without terminating it: what `tls_passthrough` routes match on (nginx's
 * ssl_preread). Only what routing needs: record header, handshake header, the fields before the
 * extensions skipped by their lengths, then the server_name extension's first host_name.
 */

export type HelloRead =
  | { readonly kind: 'tls'; readonly sni: string | undefined }
  | { readonly kind: 'not-tls' }
  /** The bytes so far are the start of a ClientHello: read more. */
  | { readonly kind: 'partial' };

const PARTIAL: HelloRead = { kind: 'partial' };
const NOT_TLS: HelloRead = { kind: 'not-tls' };
const NO_SNI: HelloRead = { kind: 'tls', sni: undefined };

export function readClientHello(bytes: Buffer): HelloRead {
  if (bytes.length < 1) return PARTIAL;
  if (bytes[0] !== 0x16) return NOT_TLS; // handshake record
  if (bytes.length < 5) return PARTIAL;
  if (bytes[1] !== 0x03) return NOT_TLS;
  const recordLength = bytes.readUInt16BE(3);
  const end = 5 + recordLength;
  if (bytes.length < end) return bytes.length >= 16_389 ? NOT_TLS : PARTIAL;
  let at = 5;
  if (bytes[at] !== 0x01) return NOT_TLS; // ClientHello
  at += 4; // type, length (3)
  at += 2 + 32; // legacy_version, random
  if (at >= end) return NO_SNI;
  at += 1 + bytes[at]!; // session id
  if (at + 2 > end) return NO_SNI;
  at += 2 + bytes.readUInt16BE(at); // cipher suites
  if (at >= end) return NO_SNI;
  at += 1 + bytes[at]!; // compression methods
  if (at + 2 > end) return NO_SNI;
  const extensionsEnd = Math.min(end, at + 2 + bytes.readUInt16BE(at));
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = bytes.readUInt16BE(at);
    const length = bytes.readUInt16BE(at + 2);
    at += 4;
    if (type === 0 && at + 5 <= extensionsEnd) {
      // server_name_list length (2), name_type (1), host_name length (2), host_name
      const nameType = bytes[at + 2];
      const nameLength = bytes.readUInt16BE(at + 3);
      if (nameType === 0 && at + 5 + nameLength <= extensionsEnd) {
        return { kind: 'tls', sni: bytes.toString('latin1', at + 5, at + 5 + nameLength).toLowerCase() };
      }
      return NO_SNI;
    }
    at += length;
  }
  return NO_SNI;
}
