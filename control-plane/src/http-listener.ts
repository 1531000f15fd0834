/**
 * One HTTP or HTTPS listener of a `*_listen` entry (admin_listen, admin_gui_listen): an `ssl`
 * entry serves the first certificate and key of its `*_ssl_cert` keys, or a self-signed
 * `localhost` certificate made at start when none is configured (as Kong's default certificates).
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ListenEntry } from '@turnpike/shared/config';

export interface ListenerCertificates {
  readonly certs: readonly string[];
  readonly keys: readonly string[];
}

export async function listenHttp(
  entry: ListenEntry,
  tls: ListenerCertificates,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  /** Answers a request Node's parser refused (the Admin API's is Kong-shaped JSON); default: node's own. */
  clientError?: (err: NodeJS.ErrnoException, socket: Duplex) => void,
): Promise<Server> {
  let server: Server;
  if (entry.ssl) {
    const pair =
      tls.certs.length > 0 && tls.keys.length > 0
        ? { certPem: await readFile(tls.certs[0]!, 'utf8'), keyPem: await readFile(tls.keys[0]!, 'utf8') }
        : await selfSigned();
    server = createHttpsServer({ cert: pair.certPem, key: pair.keyPem }, handler) as unknown as Server;
  } else {
    server = createHttpServer(handler);
  }
  if (clientError !== undefined) server.on('clientError', clientError);
  server.listen({
    host: entry.host,
    port: entry.port,
    ...(entry.backlog === undefined ? {} : { backlog: entry.backlog }),
  });
  await once(server, 'listening');
  return server;
}

/** The port a listening server is bound to (the entry's, unless that was 0). */
export function boundPort(server: Server, entry: ListenEntry): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : entry.port;
}

/** An ssl listener without a certificate: one made for this run (the certificate code loaded only then). */
async function selfSigned(): Promise<{ certPem: string; keyPem: string }> {
  const { generateClusterCertificate } = await import('@turnpike/shared/cluster');
  return generateClusterCertificate({ commonName: 'localhost', days: 365 });
}
