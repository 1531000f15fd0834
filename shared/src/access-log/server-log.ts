/**
 * The access log of a Turnpike-made HTTP server other than the proxy (the Admin API, the status
 * listener): one `combined` line per request once its response finished or its client left, as
 * Kong's `admin_access_log` and `status_access_log` (nginx's default format). These servers are
 * not on the proxy's hot path: the body size is read from the socket's byte count once the
 * response is out (its bytes minus its head's).
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { combinedLine } from './combined.ts';
import type { LogWriter } from './writer.ts';

const kStart = Symbol('turnpike.access-log.start');
type Counted = IncomingMessage & { [kStart]?: number };

/** nginx's status for a request whose client left before the answer. */
const CLIENT_CLOSED = 499;

/** Writes one line per request of `server` to `writer`. */
export function logServerAccess(server: Server, writer: LogWriter): void {
  // First, so the byte count starts before the server's own listener writes anything.
  server.prependListener('request', (req: Counted, res: ServerResponse) => {
    req[kStart] = req.socket.bytesWritten;
    res.once('close', () => {
      const head = (res as unknown as { _header?: string | null })._header;
      const headBytes = typeof head === 'string' ? Buffer.byteLength(head, 'latin1') : 0;
      const written = req.socket.bytesWritten - (req[kStart] ?? 0);
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
      const address = req.socket.remoteAddress ?? '-';
      writer.write(`${combinedLine(req, address, status, Math.max(0, written - headBytes))}\n`);
    });
  });
}
