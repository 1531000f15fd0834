/**
 * A self-signed X.509 v3 certificate, DER-encoded by hand with node:crypto's keys and signature:
 * subject = issuer = `CN=<commonName>`, an EC P-384 key, ecdsa-with-SHA384, no extensions (what
 * @peculiar/x509's createSelfSigned made for certificate.ts, which loading cost ~125 ms and
 * ~9 MB of heap on every start of a traditional node, whose internal link needs a certificate).
 */
import { generateKeyPair, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';

const generatePair = promisify(generateKeyPair);

/** One DER TLV: tag, definite length (short or long form), contents. */
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));

/** An OID from its dotted form (every arc here below 2^28). */
function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const out = [first * 40 + second];
  for (const arc of rest) {
    const groups: number[] = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A positive INTEGER from unsigned big-endian bytes. */
function positiveInteger(bytes: Buffer): Buffer {
  return tlv(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), whole seconds. */
function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2030-01-02T03:04:05.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(0x18, Buffer.from(digits, 'ascii'));
}

const ECDSA_WITH_SHA384 = sequence(oid('1.2.840.10045.4.3.3'));

export interface SelfSigned {
  readonly certDer: Buffer;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

export async function selfSignedP384(
  commonName: string,
  notBefore: Date,
  notAfter: Date,
): Promise<SelfSigned> {
  const { publicKey, privateKey } = await generatePair('ec', { namedCurve: 'secp384r1' });
  const name = sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  // 16 random bytes, top bit cleared: positive and at most 20 octets (RFC 5280 §4.1.2.2).
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f || 0x01;
  const tbs = sequence(
    tlv(0xa0, positiveInteger(Buffer.from([2]))),
    positiveInteger(serial),
    ECDSA_WITH_SHA384,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha384', tbs, privateKey);
  const certDer = sequence(tbs, ECDSA_WITH_SHA384, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return { certDer, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
