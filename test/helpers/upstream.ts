import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoUpstream extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  /** Every request received, in order. */
  readonly received: { method: string; url: string; headers: IncomingMessage['headers'] }[];
}

/** An upstream on 127.0.0.1 that answers every request with JSON naming itself and what it got. */
export async function startEchoUpstream(name = 'upstream'): Promise<EchoUpstream> {
  const received: EchoUpstream['received'] = [];
  const server = createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ upstream: name, method: req.method, url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
