/**
 * Kernel-side forwarding for plain TCP stream connections: the native addon's splice loop
 * (native/src/splice.c, Linux). `spliceForwarder()` is undefined without it (no addon, another
 * platform, `TURNPIKE_NATIVE=off`) or with `TURNPIKE_STREAM_SPLICE=off`: stream-call.ts then
 * pipes in JavaScript, as it does for a connection the loop refuses (`add` throws).
 *
 * Handing a pair of sockets over (`handOff`): libuv stops reading both, what their readable
 * buffers already hold (a preread ClientHello, the bytes after a PROXY header, a server's first
 * bytes) is written to the other side, and once every write is flushed the fds go to the loop.
 * The Socket objects stay as they are until the loop reports the end; the caller then destroys
 * them (libuv closes its fds; the loop closed its own dups).
 */

import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { nativeAddon } from '@turnpike/native';

/** How a spliced connection ended. */
export interface SpliceEnd {
  /** 'clean': both ends closed; 'timeout': idle; 'error': `code`; 'aborted': `abort()`. */
  readonly reason: 'clean' | 'timeout' | 'error' | 'aborted';
  /** The errno's name for an error (ECONNRESET, EPIPE…). */
  readonly code: string | undefined;
  readonly clientToUpstream: number;
  readonly upstreamToClient: number;
}

export interface SpliceForwarder {
  /** Forwards between the two sockets' fds until the end, told to `onEnd`; the id `abort` takes. */
  add(clientFd: number, upstreamFd: number, idleMs: number, onEnd: (end: SpliceEnd) => void): number;
  abort(id: number): void;
  /** Connections the native loop holds now. */
  active(): number;
}

const REASONS = ['clean', 'timeout', 'error', 'aborted'] as const;
const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name] as const),
);

let forwarder: SpliceForwarder | undefined;
let tried = false;

function make(): SpliceForwarder | undefined {
  if (process.platform !== 'linux' || process.env.TURNPIKE_STREAM_SPLICE === 'off') return undefined;
  const addon = nativeAddon();
  const { spliceSetup, spliceAdd, spliceAbort, spliceActive } = addon ?? {};
  if (spliceSetup === undefined || spliceAdd === undefined || spliceAbort === undefined) return undefined;
  const waiting = new Map<number, (end: SpliceEnd) => void>();
  spliceSetup((id, reason, errno, clientToUpstream, upstreamToClient) => {
    const onEnd = waiting.get(id);
    if (onEnd === undefined) return;
    waiting.delete(id);
    onEnd({
      reason: REASONS[reason] ?? 'error',
      code: errno === 0 ? undefined : (ERRNO_NAMES.get(errno) ?? `E${errno}`),
      clientToUpstream,
      upstreamToClient,
    });
  });
  return {
    add(clientFd, upstreamFd, idleMs, onEnd) {
      const id = spliceAdd(clientFd, upstreamFd, idleMs);
      waiting.set(id, onEnd);
      return id;
    },
    abort: (id) => spliceAbort(id),
    active: () => spliceActive?.() ?? waiting.size,
  };
}

/** The splice loop of this process, set up on first use; undefined where there is none. */
export function spliceForwarder(): SpliceForwarder | undefined {
  if (!tried) {
    tried = true;
    forwarder = make();
  }
  return forwarder;
}

interface HandleInternals {
  fd?: number;
  reading?: boolean;
  readStop?(): number;
  readStart?(): number;
}

function handleOf(socket: Socket): HandleInternals | undefined {
  return (socket as unknown as { _handle?: HandleInternals | null })._handle ?? undefined;
}

/** The socket's kernel fd, or undefined (no handle, not a plain TCP socket). */
export function socketFd(socket: Socket): number | undefined {
  const fd = handleOf(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Takes what the socket's readable side holds, then stops libuv reading it. `read()` may start
 * the handle's reading (when its buffer was full): stopped in the same tick, before libuv polls.
 * The readable state's `reading` stays set, so node never asks the handle for more.
 */
function takeBuffered(socket: Socket): Buffer | undefined {
  const chunks: Buffer[] = [];
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null)
    chunks.push(chunk);
  const handle = handleOf(socket);
  if (handle !== undefined && handle.reading === true) {
    handle.reading = false;
    handle.readStop?.();
  }
  return chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** Undoes takeBuffered's stop: libuv reads the socket again (the hand-off was refused). */
export function resumeReading(socket: Socket): void {
  const handle = handleOf(socket);
  if (handle !== undefined && handle.reading === false && !socket.readableEnded) {
    handle.reading = true;
    handle.readStart?.();
  }
}

/**
 * Stops JS reading both sockets, writes what either had read to the other, and calls `ready`
 * once nothing is left in their write queues (or `failed` on a write error).
 */
export function prepareHandOff(
  client: Socket,
  upstream: Socket,
  ready: () => void,
  failed: (err: Error) => void,
): void {
  client.pause();
  upstream.pause();
  const fromClient = takeBuffered(client);
  const fromUpstream = takeBuffered(upstream);
  let pending = 1;
  let done = false;
  const flushed = (err?: Error | null): void => {
    if (done) return;
    if (err) {
      done = true;
      failed(err);
      return;
    }
    if (--pending > 0) return;
    if (client.writableLength > 0 || upstream.writableLength > 0) {
      // Writes queued by someone else: wait for them too.
      pending++;
      (client.writableLength > 0 ? client : upstream).write(Buffer.alloc(0), flushed);
      return;
    }
    done = true;
    ready();
  };
  if (fromClient !== undefined) {
    pending++;
    upstream.write(fromClient, flushed);
  }
  if (fromUpstream !== undefined) {
    pending++;
    client.write(fromUpstream, flushed);
  }
  flushed();
}
