/**
 * A raw HTTP/2 client for hostile-input tests: it writes frames by hand (HPACK literals, no
 * Huffman, no validation), so it can send what node's own client refuses to — CR/LF or NUL in a
 * value, a bad :authority, header lists past any limit. It reads back just enough to tell how
 * the server answered stream 1: its :status, an RST_STREAM, a GOAWAY or a closed connection.
 */
import { once } from 'node:events';
import { connect } from 'node:tls';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const DATA = 0x0;
const HEADERS = 0x1;
const RST_STREAM = 0x3;
const SETTINGS = 0x4;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
const MAX_FRAME = 16384;

/** The :status values of HPACK's static table, by index (RFC 7541 Appendix A). */
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function hpackInteger(value: number, prefixBits: number, flags: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([Buffer.from(hpackInteger(bytes.length, 7, 0)), bytes]);
}

/** Every field as a literal without indexing and with a literal name: exactly the bytes given. */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  return Buffer.concat(parts);
}

/** The HEADERS frame of stream 1 and as many CONTINUATION frames as the block needs. */
function headerFrames(block: Buffer, endStream: boolean): Buffer {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < block.length || offset === 0; offset += MAX_FRAME) {
    const piece = block.subarray(offset, offset + MAX_FRAME);
    const last = offset + MAX_FRAME >= block.length;
    const type = offset === 0 ? HEADERS : CONTINUATION;
    const flags = (last ? END_HEADERS : 0) | (offset === 0 && endStream ? END_STREAM : 0);
    frames.push(frame(type, flags, 1, piece));
    if (block.length === 0) break;
  }
  return Buffer.concat(frames);
}

/** Reads an HPACK integer at `at`; returns [value, next offset]. */
function readInteger(block: Buffer, at: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  let value = block[at]! & max;
  let i = at + 1;
  if (value < max) return [value, i];
  let shift = 0;
  for (;;) {
    const b = block[i++]!;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value, i];
  }
}

/** Huffman-coded decimal digits (RFC 7541 Appendix B: '0'–'2' are 5 bits, '3'–'9' are 6). */
function huffmanDigits(bytes: Buffer): string {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  let i = 0;
  while (i + 5 <= bits.length) {
    const five = Number.parseInt(bits.slice(i, i + 5), 2);
    if (five <= 2) {
      out += String(five);
      i += 5;
      continue;
    }
    if (i + 6 > bits.length) break;
    const six = Number.parseInt(bits.slice(i, i + 6), 2);
    if (six < 25 || six > 31) break; // the EOS padding (all ones) or not a digit
    out += String(six - 22);
    i += 6;
  }
  return out;
}

/** The :status of a response header block (the first field a server encodes), if readable. */
export function statusOf(block: Buffer): number | undefined {
  let at = 0;
  // Dynamic table size updates (001xxxxx) may open a block.
  while (at < block.length && (block[at]! & 0xe0) === 0x20) at = readInteger(block, at, 5)[1];
  const first = block[at];
  if (first === undefined) return undefined;
  if ((first & 0x80) !== 0) return STATIC_STATUS[readInteger(block, at, 7)[0]];
  const prefix = (first & 0x40) !== 0 ? 6 : 4;
  const [nameIndex, next] = readInteger(block, at, prefix);
  if (STATIC_STATUS[nameIndex] === undefined) return undefined;
  const huffman = (block[next]! & 0x80) !== 0;
  const [length, start] = readInteger(block, next, 7);
  const raw = block.subarray(start, start + length);
  const text = huffman ? huffmanDigits(raw) : raw.toString('latin1');
  return Number(text);
}

export interface RawH2Answer {
  /** The :status of stream 1's response. */
  readonly status?: number;
  /** The RST_STREAM error code for stream 1. */
  readonly reset?: number;
  /** The GOAWAY error code. */
  readonly goaway?: number;
  /** The connection closed (or the wait ran out) before any of the above. */
  readonly closed: boolean;
}

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/**
 * Opens a TLS connection offering only h2, writes the client preface, an empty SETTINGS and
 * `bytes`, acknowledges the server's SETTINGS, and resolves with the first value `onFrame` returns
 * for a server frame — or `fallback` when the connection closes or `timeoutMs` passes first.
 */
async function exchangeFrames<T>(
  port: number,
  servername: string,
  bytes: Buffer,
  timeoutMs: number,
  onFrame: (frame: Frame) => T | undefined,
  fallback: T,
): Promise<T> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ALPNProtocols: ['h2'],
    rejectUnauthorized: false,
    servername,
  });
  socket.on('error', () => {});
  await once(socket, 'secureConnect');
  socket.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.alloc(0)), bytes]));
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const done = (value: T): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(fallback), timeoutMs);
    socket.on('close', () => done(fallback));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) break;
        const next: Frame = {
          type: buffered[3]!,
          flags: buffered[4]!,
          stream: buffered.readUInt32BE(5) & 0x7fffffff,
          payload: buffered.subarray(9, 9 + length),
        };
        buffered = buffered.subarray(9 + length);
        if (next.type === SETTINGS && (next.flags & ACK) === 0)
          socket.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
        const value = onFrame(next);
        if (value !== undefined) return done(value);
      }
    });
  });
}

/**
 * Sends one request on stream 1 with exactly `fields` (pseudo-headers included, in order), and
 * reports the first thing the server says about it.
 */
export function rawH2Request(
  port: number,
  fields: readonly (readonly [string, string])[],
  options: { servername?: string; body?: Buffer; timeoutMs?: number } = {},
): Promise<RawH2Answer> {
  const body = options.body;
  const request = Buffer.concat([
    headerFrames(headerBlock(fields), body === undefined),
    ...(body === undefined ? [] : [frame(DATA, END_STREAM, 1, body)]),
  ]);
  return exchangeFrames<RawH2Answer>(
    port,
    options.servername ?? 'gateway.test',
    request,
    options.timeoutMs ?? 3000,
    ({ type, stream, payload }) => {
      if (type === HEADERS && stream === 1) {
        const status = statusOf(payload);
        return status === undefined ? undefined : { status, closed: false };
      }
      if (type === RST_STREAM && stream === 1) return { reset: payload.readUInt32BE(0), closed: false };
      if (type === GOAWAY) return { goaway: payload.readUInt32BE(4), closed: false };
      return undefined;
    },
    { closed: true },
  );
}

/**
 * Sends `bytes` as they are after the preface (broken frames, say), and resolves with the GOAWAY
 * code the server sent, or -1 when it just closed (or `timeoutMs` passed).
 */
export function rawH2Bytes(port: number, bytes: Buffer, timeoutMs = 3000): Promise<number> {
  return exchangeFrames(
    port,
    'gateway.test',
    bytes,
    timeoutMs,
    ({ type, payload }) => (type === GOAWAY ? payload.readUInt32BE(4) : undefined),
    -1,
  );
}

/** A frame as bytes, for tests that build broken sequences by hand. */
export function rawFrame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  return frame(type, flags, stream, payload);
}
