/**
 * What the stream tests share: an echo server with a banner, a whole exchange over one
 * connection, and a probe of whether a listener still accepts.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

/**
 * An echo server that starts every answer with its name and a newline, echoes what it reads, and
 * ends its side when the client ended its own (so a half-close must pass through both ways).
 */
export async function streamEcho(
  name: string,
  tls?: { cert: string; key: string },
): Promise<{ port: number } & AsyncDisposable> {
  const handler = (socket: Socket | TLSSocket): void => {
    socket.on('error', () => {});
    socket.write(`${name}\n`);
    socket.pipe(socket);
  };
  const server: Server =
    tls === undefined ? createServer({ allowHalfOpen: true }, handler) : createTlsServer(tls, handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    async [Symbol.asyncDispose]() {
      server.close();
    },
  };
}

/** Resolves on 'close', however the socket closed: a refused session may end in a reset (events.once would reject on it). */
export function closedAnyway(socket: { once(event: 'close', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Connects to `port`, sends `payload`, half-closes, and reads everything until the other side closes. */
export async function exchangeOver(port: number, payload: string | Buffer): Promise<Buffer> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = closedAnyway(socket);
  socket.end(payload);
  await closed;
  return Buffer.concat(chunks);
}

/** 'accepted' when a connection to `port` is taken, else the connect error's code (ECONNREFUSED). */
export function probeListener(port: number): Promise<string> {
  return new Promise((resolve) => {
    const probe = connect({ host: '127.0.0.1', port });
    probe.on('connect', () => {
      probe.destroy();
      resolve('accepted');
    });
    probe.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}
