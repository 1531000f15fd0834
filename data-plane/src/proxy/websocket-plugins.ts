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
import type { ChainExit, PluginChain, PluginRun } from '../runtime/index.ts';
import { pluginExitHeaders, rawKongError } from './kong-responses.ts';
import type { Prepared } from './prepared.ts';
import { rawHead } from './raw-response.ts';
import type { ResponseHeaderFlags } from './settings.ts';

/** nginx's status for a request whose client left before it was answered. */
const CLIENT_CLOSED = 499;

const kResponse = Symbol('turnpike.upgrade-response');
type SocketWithResponse = Duplex & { [kResponse]?: ServerResponse };

function onSocketClose(this: SocketWithResponse): void {
  this[kResponse]?.emit('close');
}

/**
 * The route's chain opened for a handshake, and the status its log phase reports. The chain reports a
 * response's status and closes its log phase through a ServerResponse: an unattached one stands
 * for the upgrade's answer, closed with the client socket.
 */
export class UpgradeRun {
  readonly run: PluginRun;
  readonly #res: ServerResponse;

  constructor(chain: PluginChain, socket: Duplex, prepared: Prepared) {
    const res = new ServerResponse(prepared.req);
    res.statusCode = CLIENT_CLOSED;
    this.#res = res;
    this.run = prepared.openChain(chain, res, null);
    (socket as SocketWithResponse)[kResponse] = res;
    socket.once('close', onSocketClose);
  }

  /** Records the status the client was answered (101, the upstream's, Kong's 502…). */
  answered(status: number): void {
    this.#res.statusCode = status;
  }
}

/**
 * A plugin's exit as raw HTTP/1.1 bytes, with the headers sendPluginExit sends; the connection is
 * closed after it. Kong's 500 instead when a header phase threw; rawHead refuses (throws) any
 * value that would split the head.
 */
export function rawPluginExit(
  exit: ChainExit,
  run: PluginRun,
  flags: ResponseHeaderFlags,
  startedAt: number,
  requestId: string,
): Buffer {
  const headers = pluginExitHeaders(exit, run, flags, startedAt, requestId);
  if (headers === undefined) return Buffer.from(rawKongError(500, flags, requestId), 'latin1');
  headers.push('Connection', 'close');
  const bytes = Buffer.from(rawHead(exit.status, STATUS_CODES[exit.status] ?? 'Unknown', headers), 'latin1');
  const body = exit.body;
  return body === undefined ? bytes : Buffer.concat([bytes, body]);
}
