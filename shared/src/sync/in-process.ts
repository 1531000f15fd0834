/**
 * A stream between two parts of one process: the sync link of a traditional node's two planes
 * (bin/node/role.ts), where a gRPC stream over loopback mTLS would only add an encoder, a
 * certificate and a port. Each end sends messages to the other and can end the pair; what it
 * receives comes as a real stream's data would:
 *
 * - **asynchronously**: never inside `send` or `end` (a handler that answers at once does not
 *   recurse into the other side), each batch in a `setImmediate`, in the order sent;
 * - **as a copy** (made at `send`): what one side hands over it may change or keep
 *   afterwards, and what the other side does to what it received reaches nobody else — as the
 *   protobuf round trip of a gRPC stream gave;
 * - **nothing after the end**: `end` delivers what this side sent before it, then the end to
 *   the other side's `end` handler; `cancel` drops what this side has not yet delivered. Either
 *   way, what was on its way to the side that ended is dropped, and a `send` after is a no-op.
 *
 * The end's `code` and `details` are the gRPC status the stream would have closed with (absent:
 * OK), so that both sides read them as they read a gRPC stream's.
 */

/** How a pipe was ended: a gRPC status code and its text, or none for a clean end. */
export interface PipeClose {
  readonly code?: number;
  readonly details?: string;
}

export interface PipeHandlers<In> {
  message(message: In): void;
  /** The other side ended the pipe, or this side's `message` handler threw (code 13). Called once. */
  end(reason: PipeClose): void;
}

/** One end of the pair: sends `Out`, receives `In`. */
export interface PipeEnd<Out, In> {
  /** This side can send no more: it ended, or heard the other side's end. */
  readonly ended: boolean;
  send(message: Out): void;
  /** Ends the pair; what this side sent before is still delivered, then the end. */
  end(reason?: PipeClose): void;
  /** Ends the pair at once: what this side sent and is not yet delivered is dropped. */
  cancel(reason?: PipeClose): void;
  /** Where received messages go; what arrived before is delivered once this is called. */
  listen(handlers: PipeHandlers<In>): void;
}

/** gRPC's INTERNAL: a receiving handler threw. */
const INTERNAL = 13;
/** gRPC's CANCELLED. */
const CANCELLED = 1;

type Item<In> = { readonly message: In } | { readonly end: PipeClose };

/**
 * A deep copy of a message: plain objects, arrays, primitives, and Buffers as Buffers (a
 * snapshot's payload; `structuredClone` would turn them into bare Uint8Arrays).
 */
function copy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return Buffer.from(value) as T;
  if (ArrayBuffer.isView(value) || value instanceof Date) return structuredClone(value);
  if (Array.isArray(value)) return value.map(copy) as T;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = copy(field);
  return out as T;
}

class Side<Out, In> implements PipeEnd<Out, In> {
  peer!: Side<In, Out>;
  /** What the peer sent, not yet delivered here. */
  inbox: Item<In>[] = [];
  #handlers: PipeHandlers<In> | undefined;
  #ended = false;
  #scheduled = false;

  get ended(): boolean {
    return this.#ended;
  }

  send(message: Out): void {
    if (this.#ended) return;
    this.peer.deliver({ message: copy(message) });
  }

  end(reason: PipeClose = {}): void {
    this.#close(reason, false);
  }

  cancel(reason: PipeClose = { code: CANCELLED, details: 'cancelled' }): void {
    this.#close(reason, true);
  }

  listen(handlers: PipeHandlers<In>): void {
    this.#handlers = handlers;
    this.#schedule();
  }

  /** Called by the peer. */
  deliver(item: Item<In>): void {
    if (this.#ended) return;
    this.inbox.push(item);
    this.#schedule();
  }

  #close(reason: PipeClose, dropSent: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.inbox = [];
    if (dropSent) this.peer.inbox = [];
    this.peer.deliver({ end: reason });
  }

  #schedule(): void {
    if (this.#scheduled || this.#handlers === undefined || this.inbox.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    const handlers = this.#handlers;
    if (handlers === undefined) return;
    for (let item = this.inbox.shift(); item !== undefined && !this.#ended; item = this.inbox.shift()) {
      if ('end' in item) {
        this.#ended = true;
        this.inbox = [];
        handlers.end(item.end);
        return;
      }
      try {
        handlers.message(item.message);
      } catch (error) {
        const reason = { code: INTERNAL, details: (error as Error).message };
        this.#close(reason, true);
        handlers.end(reason);
        return;
      }
    }
  }
}

/** A connected pair: what one end sends, the other receives. */
export function pipePair<A, B>(): [PipeEnd<A, B>, PipeEnd<B, A>] {
  const a = new Side<A, B>();
  const b = new Side<B, A>();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
