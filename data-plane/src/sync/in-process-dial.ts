import type { ControlPlaneMessage, DataPlaneMessage } from '@turnpike/proto';
import type { PipeClose, PipeEnd } from '@turnpike/shared/sync';
import type { ConnectionFailure, Dial } from './transport.ts';

/** Opens one in-process stream to the control plane of this process (a traditional node's). */
export type InProcessConnect = () => PipeEnd<DataPlaneMessage, ControlPlaneMessage>;

// gRPC status codes, as the control plane closes a stream with them.
const CANCELLED = 1;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

/**
 * A sync stream to the control plane of this process, through `@turnpike/shared/sync`'s pipe:
 * no channel, certificate or protobuf. The stream is open as soon as it is dialled (the control
 * plane accepts it in `connect`); a cancel from this side ends it after what was written before
 * (a Nack before a resync reaches the control plane).
 */
export function inProcessDial(connect: InProcessConnect): Dial {
  return (events) => {
    const pipe = connect();
    pipe.listen({
      message: (message) => events.message(message),
      end: (reason) => (reason.code === undefined ? events.ended() : events.failed(failureOf(reason))),
    });
    // After `dial` returns, before anything the control plane sends (its Hello is not in yet).
    setImmediate(() => {
      if (!pipe.ended) events.opened();
    });
    return {
      write: (message) => pipe.send(message),
      cancel: () => pipe.end({ code: CANCELLED, details: 'cancelled' }),
      release: () => {},
    };
  };
}

function failureOf(reason: PipeClose): ConnectionFailure {
  const code = reason.code ?? 0;
  const kind =
    code === UNAUTHENTICATED || code === PERMISSION_DENIED
      ? 'refused'
      : code === CANCELLED
        ? 'cancelled'
        : 'error';
  return { reason: kind, code, details: reason.details ?? '' };
}
