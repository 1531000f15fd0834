/**
 * The `server` object of `GET /status`: nginx's stub_status counters (Kong's
 * kong.nginx.get_statistics), counted on the Admin API's own listeners. Kong counts the whole
 * nginx (proxy connections included); a control plane here has only these listeners to count.
 *
 * - connections_accepted: TCP connections accepted, including any refused at once for a limit
 *   (`server.maxConnections`, node's `drop` event).
 * - connections_handled: accepted connections that were served (equal to accepted unless some were dropped).
 * - connections_active: connections open now; always reading + writing + waiting.
 * - connections_reading: open connections that have sent bytes of a request whose headers are not complete.
 * - connections_writing: open connections with a request in progress (its body being read, the
 *   route running, or the response being written): the request asking for `/status` is one.
 * - connections_waiting: open connections with nothing in progress: idle keep-alive connections,
 *   new connections that have sent nothing yet, and TLS connections still in their handshake.
 * - total_requests: requests received (whose headers were parsed), on every admin listener.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionCounts {
  readonly connections_accepted: number;
  readonly connections_handled: number;
  readonly connections_active: number;
  readonly connections_reading: number;
  readonly connections_writing: number;
  readonly connections_waiting: number;
  readonly total_requests: number;
}

/** A connection that carries HTTP: requests in progress, and bytesRead when the last one ended. */
interface HttpConnection {
  readonly socket: Socket;
  inFlight: number;
  readAtIdle: number;
}

export class ConnectionStats {
  #accepted = 0;
  #handled = 0;
  #active = 0;
  #requests = 0;
  readonly #http = new Map<Socket, HttpConnection>();

  /** Counts the connections and requests of `server` (an http or https listener) from now on. */
  track(server: Server): void {
    const tls = 'setSecureContext' in server;
    server.on('drop', () => {
      this.#accepted++;
    });
    server.on('connection', (socket: Socket) => {
      this.#accepted++;
      this.#handled++;
      this.#active++;
      socket.once('close', () => {
        this.#active--;
      });
      if (!tls) this.#watch(socket);
    });
    // Over TLS, requests arrive on the TLS socket, once its handshake is done.
    if (tls) server.on('secureConnection', (socket: Socket) => this.#watch(socket));
    // First, so the counts are current before any route runs.
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) =>
      this.#started(request, response),
    );
  }

  counts(): ConnectionCounts {
    let reading = 0;
    let writing = 0;
    for (const c of this.#http.values()) {
      if (c.inFlight > 0) writing++;
      else if (c.socket.bytesRead > c.readAtIdle) reading++;
    }
    return {
      connections_accepted: this.#accepted,
      connections_handled: this.#handled,
      connections_active: this.#active,
      connections_reading: reading,
      connections_writing: writing,
      connections_waiting: Math.max(0, this.#active - reading - writing),
      total_requests: this.#requests,
    };
  }

  #watch(socket: Socket): void {
    this.#http.set(socket, { socket, inFlight: 0, readAtIdle: 0 });
    socket.once('close', () => this.#http.delete(socket));
  }

  #started(request: IncomingMessage, response: ServerResponse): void {
    this.#requests++;
    const connection = this.#http.get(request.socket);
    if (connection === undefined) return;
    connection.inFlight++;
    response.once('close', () => {
      connection.inFlight--;
      connection.readAtIdle = connection.socket.bytesRead;
    });
  }
}
