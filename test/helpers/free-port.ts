import { createServer } from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago: the kernel picks it, we release it.
 * Another process may take it before the caller binds, so callers that can retry should.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port the kernel assigned'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
