import { once } from 'node:events';
import type { Server } from 'node:http';
import type { StopMode, Stoppable } from './lifecycle.ts';

/**
 * Stops an HTTP(S) server: closes the listening socket, then idle keep-alive connections; in
 * `drain` mode in-flight requests may finish until the deadline, after which every connection
 * is closed.
 */
export function stoppableServer(name: string, server: Server): Stoppable {
  return {
    name,
    async stop(mode: StopMode, deadline: number): Promise<void> {
      // A `now` during a drain cuts it short: close whatever is still open.
      if (mode === 'now') server.closeAllConnections();
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      server.closeIdleConnections();
      const remaining = Math.max(0, deadline - Date.now());
      const timer = setTimeout(() => server.closeAllConnections(), remaining);
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
