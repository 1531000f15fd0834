/**
 * One unbound UDP socket per address family for a process's log plugins (udp-log, statsd):
 * datagrams to any host go through it. It does not keep the process alive; a socket that fails
 * is logged, closed and made again on the next send.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from './log.ts';

const sockets = new Map<'udp4' | 'udp6', dgram.Socket>();

/** The socket for datagrams to `host` (IPv6 literals: udp6; addresses and names: udp4). */
export function udpSocketFor(host: string, log: Logger): dgram.Socket {
  const type = net.isIPv6(host) ? 'udp6' : 'udp4';
  let socket = sockets.get(type);
  if (socket === undefined) {
    const created = dgram.createSocket(type);
    created.on('error', (err) => {
      log.error({ err }, `UDP log socket failed: ${err.message}`);
      created.close();
      if (sockets.get(type) === created) sockets.delete(type);
    });
    created.unref();
    sockets.set(type, created);
    socket = created;
  }
  return socket;
}
