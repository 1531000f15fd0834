/**
 * `ctx.request.connection`: a serial number per client connection (nginx's $connection) and the
 * request's number on it ($connection_requests), kept per worker beside the socket. Counted only
 * for requests whose plugins read it, so that no other request pays for it.
 */
import type { Socket } from 'node:net';
import type { PluginConnection } from '@turnpike/plugin-sdk';

interface Counted {
  readonly serial: number;
  requests: number;
}

const sockets = new WeakMap<object, Counted>();
let serials = 0;

export function connectionRequest(socket: Socket): PluginConnection {
  let counted = sockets.get(socket);
  if (counted === undefined) {
    counted = { serial: ++serials, requests: 0 };
    sockets.set(socket, counted);
  }
  counted.requests++;
  return { serverAddress: socket.localAddress ?? '', serial: counted.serial, requests: counted.requests };
}
