import { connect } from 'node:net';
import { parseHostPort } from '@turnpike/shared/config';

/**
 * A probe of `address` (`host:port`, `[v6]:port`): resolves true when a TCP connection is
 * accepted (then closed at once, before any byte), false when it is refused, fails or takes
 * longer than `timeoutMs`. Never rejects.
 */
export function tcpProbe(address: string, timeoutMs = 1_000): () => Promise<boolean> {
  const target = parseHostPort(address);
  return () =>
    new Promise((resolve) => {
      if (target?.port === undefined) {
        resolve(false);
        return;
      }
      const socket = connect({ host: target.host, port: target.port, timeout: timeoutMs });
      const done = (up: boolean) => {
        socket.destroy();
        resolve(up);
      };
      socket.once('connect', () => done(true));
      socket.once('timeout', () => done(false));
      socket.once('error', () => done(false));
    });
}
