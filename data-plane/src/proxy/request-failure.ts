/**
 * The last guard of one request: whatever the proxy's own code throws while handling it (a bug,
 * never the client's input) ends that request only — Kong's 500 when nothing was sent yet, a
 * closed connection when the response had started — with one error log line naming the request.
 * Plugins' throws are caught nearer, by the plugin chain, which logs them with the plugin's name.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Logger, toError } from '@turnpike/shared';
import { rawKongError, sendKongError } from './kong-responses.ts';
import { newRequestId } from './request-id.ts';
import type { ResponseHeaderFlags } from './settings.ts';

/** Ends a request the proxy failed on: 500 or a closed connection, and one log line. */
export function failRequest(
  req: IncomingMessage,
  res: ServerResponse,
  thrown: unknown,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
  log: Logger,
): void {
  log.error(
    { err: toError(thrown), request_id: requestId, method: req.method, path: req.url },
    'request failed',
  );
  try {
    if (!res.headersSent && !res.writableEnded && !res.destroyed) {
      sendKongError(res, 500, flags, startedAt, requestId, !req.complete);
      return;
    }
  } catch {
    // The response object itself is broken: the connection is all that is left to close.
  }
  res.destroy();
}

/** failRequest for an upgrade (no ServerResponse): Kong's 500 raw when `answered` is false, then close. */
export function failUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  answered: boolean,
  thrown: unknown,
  flags: ResponseHeaderFlags,
  log: Logger,
  requestId: string = newRequestId(),
): void {
  log.error(
    { err: toError(thrown), request_id: requestId, method: req.method, path: req.url },
    'request failed',
  );
  if (!answered && socket.writable) socket.end(rawKongError(500, flags, requestId));
  else socket.destroy();
}
