/**
 * The plugin chain on a WebSocket handshake. Kong runs rewrite and access for the upgrade request
 * as for any request, so the same authentication applies: an exit is answered on the raw socket
 * (there is no ServerResponse after node's 'upgrade') and the service never sees the handshake;
 * otherwise the upgrade request goes upstream with what the plugins changed (X-Consumer-*,
 * hidden credentials, query).
 *
 * What does not apply: the header phase runs on a plugin's exit only, never on the 101 or on an
 * upstream's refusal relayed as is; the body phase never runs (the tunnel carries frames, not a
 * response body); response headers set in access are dropped when the handshake is proxied.
 * The log phase runs once the client connection closes: for a tunnel, when the tunnel closes
 * (nginx logs a WebSocket request at its end too), with the status the client was answered.
 */

import { ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ChainExit, ChainRequest, PluginChain, PluginRun } from '../runtime/index.ts';
import { rawKongError, SERVER_TOKEN } from './kong-responses.ts';
import { rawHead } from './raw-response.ts';
import type { ResponseHeaderFlags } from './settings.ts';

/** nginx's status for a request whose client left before it was answered. */
const CLIENT_CLOSED = 499;

/** A plugin run over an upgrade, and the status the log phase reports. */
export interface UpgradeRun {
  readonly run: PluginRun;
  /** Records the status the client was answered (101, the upstream's, Kong's 502…). */
  answered(status: number): void;
}

/**
 * Opens the chain for a handshake. The chain reports a response's status and closes its log phase
 * through a ServerResponse: an unattached one stands for the upgrade's answer, closed with the
 * client socket.
 */
export function openUpgradeRun(
  chain: PluginChain,
  socket: Duplex,
  request: Omit<ChainRequest, 'res' | 'body'>,
): UpgradeRun {
  const res = new ServerResponse(request.req);
  res.statusCode = CLIENT_CLOSED;
  const run = chain.open({ ...request, res, body: null });
  socket.once('close', () => res.emit('close'));
  return {
    run,
    answered(status: number): void {
      res.statusCode = status;
    },
  };
}

/**
 * A plugin's exit as raw HTTP/1.1 bytes: the plugins' header phase sees it first, then Turnpike's
 * own headers are added, as sendPluginExit does; the connection is closed after it. Kong's 500
 * instead when a header phase threw; rawHead refuses (throws) any value that would split the head.
 */
export function rawPluginExit(
  exit: ChainExit,
  run: PluginRun,
  flags: ResponseHeaderFlags,
  startedAt: number,
): Buffer {
  const headers = [...exit.headers];
  run.header(exit.status, headers);
  if (run.failed) return Buffer.from(rawKongError(500, flags), 'latin1');
  const body = exit.body;
  headers.push('Content-Length', String(body?.length ?? 0));
  if (flags.responseLatency) {
    headers.push('X-Kong-Response-Latency', String(Math.round(performance.now() - startedAt)));
  }
  if (flags.server) headers.push('Server', SERVER_TOKEN);
  headers.push('Connection', 'close');
  const bytes = Buffer.from(rawHead(exit.status, STATUS_CODES[exit.status] ?? 'Unknown', headers), 'latin1');
  return body === undefined ? bytes : Buffer.concat([bytes, body]);
}
