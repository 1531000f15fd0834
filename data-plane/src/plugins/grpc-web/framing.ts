/**
 * gRPC's length-prefixed messages (kong/tools/grpc.lua frame/unframe) and what grpc-web adds: the
 * trailer frame (flag 0x80, `name:value\r\n` lines) and base64 for the `-text` content types.
 */

/** The trailer frame's flag (grpc-web: the most significant bit of the flags byte). */
export const TRAILER_FLAG = 0x80;

/** One frame: the flags byte, the length (4 bytes, big endian), the payload. */
export function frame(flags: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
}

/** Kong's trailer frame: `grpc-status:<s>\r\ngrpc-message:<m>\r\n`. */
export function trailerFrame(status: string, message: string): Buffer {
  return frame(TRAILER_FLAG, Buffer.from(`grpc-status:${status}\r\ngrpc-message:${message}\r\n`, 'latin1'));
}

export interface Frame {
  readonly flags: number;
  readonly payload: Buffer;
}

/**
 * Cuts a byte stream into whole frames as it comes: `push` returns the frames completed by the
 * chunk; the bytes of an incomplete one wait for the next chunk (`rest`).
 */
export class Unframer {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    let data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: Frame[] = [];
    while (data.length >= 5) {
      const size = data.readUInt32BE(1);
      if (data.length < 5 + size) break;
      out.push({ flags: data[0]!, payload: data.subarray(5, 5 + size) });
      data = data.subarray(5 + size);
    }
    this.#pending = data;
    return out;
  }

  /** The bytes of a frame not yet complete. */
  get rest(): Buffer {
    return this.#pending;
  }
}

/** The first frame's payload of a whole body (Kong's grpc_unframe(body)); undefined when incomplete. */
export function firstPayload(body: Buffer): Buffer | undefined {
  if (body.length < 5) return undefined;
  const size = body.readUInt32BE(1);
  return body.length < 5 + size ? undefined : body.subarray(5, 5 + size);
}

/**
 * Decodes base64 that may be several padded pieces end to end (a grpc-web-text body sent in
 * chunks, each encoded alone): each piece up to its padding is decoded by itself.
 */
export function decodeBase64Pieces(text: string): Buffer {
  const clean = text.replace(/[\s]/g, '');
  const pieces = clean.match(/[^=]*=*/g) ?? [];
  const out: Buffer[] = [];
  for (const piece of pieces) if (piece.length > 0) out.push(Buffer.from(piece, 'base64'));
  return Buffer.concat(out);
}
