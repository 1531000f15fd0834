/**
 * Sends a batch of StatsD lines (Kong 3.10 kong/plugins/statsd/statsd_logger.lua): over UDP, one
 * datagram per line, or lines joined by newlines into datagrams of at most `udp_packet_size`
 * bytes when it is above 0; over TCP (`use_tcp`), one connection per batch (a 1 s connect timeout,
 * as Kong's), each line followed by a newline. A UDP send that fails is logged and not retried (as
 * Kong); a TCP connection that fails rejects, and the queue retries the batch.
 */
import net from 'node:net';
import { type Logger, udpSocketFor } from '@turnpike/plugin-sdk';
import type { StatsdConfig } from './schema.ts';

const TCP_CONNECT_TIMEOUT_MS = 1000;

/** Kong's buffering: lines joined by newlines while they fit in `size` bytes (a longer line goes alone). */
export function packets(lines: readonly string[], size: number): string[] {
  if (size <= 0) return [...lines];
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current === '') current = line;
    else if (Buffer.byteLength(current) + 1 + Buffer.byteLength(line) <= size) current += `\n${line}`;
    else {
      out.push(current);
      current = line;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

function sendUdp(conf: StatsdConfig, lines: readonly string[], log: Logger): Promise<void> {
  const socket = udpSocketFor(conf.host, log);
  const where = `${conf.host}:${conf.port}`;
  if (conf.udp_packet_size > 0) {
    for (const line of lines) {
      if (Buffer.byteLength(line) > conf.udp_packet_size) {
        log.warn(
          `[statsd] configured udp_packet_size is smaller than single message of length ${Buffer.byteLength(line)}, UDP packet may be truncated`,
        );
      }
    }
  }
  const all = packets(lines, conf.udp_packet_size);
  return new Promise((resolve) => {
    let left = all.length;
    if (left === 0) resolve();
    for (const packet of all) {
      socket.send(packet, conf.port, conf.host, (err) => {
        if (err) log.error({ err }, `[statsd] failed to send data to ${where}: ${err.message}`);
        if (--left === 0) resolve();
      });
    }
  });
}

function sendTcp(conf: StatsdConfig, lines: readonly string[]): Promise<void> {
  const where = `${conf.host}:${conf.port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: conf.host, port: conf.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`failed to connect to ${where}: timeout`));
    }, TCP_CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end(lines.map((l) => `${l}\n`).join(''));
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`failed to connect to ${where}: ${err.message}`));
    });
    socket.once('close', () => resolve());
    socket.resume();
  });
}

/** Sends the lines of a batch of entries (each entry: one request's lines, newline-joined). */
export function sendStatsd(conf: StatsdConfig, entries: readonly string[], log: Logger): Promise<void> {
  const lines = entries.flatMap((e) => e.split('\n'));
  return conf.use_tcp ? sendTcp(conf, lines) : sendUdp(conf, lines, log);
}
