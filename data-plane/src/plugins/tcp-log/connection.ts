/**
 * One TCP (or TLS) connection per destination and worker, shared by the tcp-log instances that
 * name the same host, port, TLS settings and timeouts. Lines are written as they come; nothing is
 * awaited by a request.
 *
 * Kong 3.10 opens (or takes from its keepalive pool) a socket per entry in a timer and sends one
 * JSON line. Here the connection stays open while entries keep coming and closes after
 * `keepalive` ms idle (0: kept until the worker ends, as OpenResty's setkeepalive(0)); `timeout`
 * bounds the connect, the TLS handshake and every write. What cannot be sent is dropped, counted
 * (`turnpike_log_entries_dropped{plugin="tcp-log"}`) and logged with Kong's messages ("failed to
 * connect to host:port: …", "failed to send data to host:port: …"). Memory is bounded: entries
 * waiting for a connection or for the receiver to read are capped (MAX_WAITING), the rest dropped.
 */
import net from 'node:net';
import tls from 'node:tls';
import { countLogDrops, type Logger } from '@turnpike/plugin-sdk';
import type { TcpLogConfig } from './schema.ts';

/** Entries waiting for the connection or for the receiver to read them, at most. */
export const MAX_WAITING = 10_000;

export class TcpLogConnection {
  readonly #config: TcpLogConfig;
  readonly #log: Logger;
  readonly #onIdle: () => void;
  #socket: net.Socket | undefined;
  #connected = false;
  /** Lines queued before the connection is up. */
  #pending: string[] = [];
  /** Lines written but not yet taken by the kernel. */
  #unsent = 0;
  #writeTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #dropWarned = false;

  constructor(config: TcpLogConfig, log: Logger, onIdle: () => void) {
    this.#config = config;
    this.#log = log;
    this.#onIdle = onIdle;
  }

  get #where(): string {
    return `${this.#config.host}:${this.#config.port}`;
  }

  /** Sends one line (ending in a newline). Never throws, never blocks. */
  send(line: string): void {
    if (this.#pending.length + this.#unsent >= MAX_WAITING) {
      this.#drop(1);
      return;
    }
    if (!this.#connected) {
      this.#pending.push(line);
      if (this.#socket === undefined) this.#connect();
      return;
    }
    this.#write(line);
  }

  /** Closes the connection; what is still waiting is dropped. */
  close(): void {
    this.#fail(undefined);
  }

  #connect(): void {
    const { host, port, timeout } = this.#config;
    const socket = this.#config.tls
      ? tls.connect({
          host,
          port,
          // Kong's sslhandshake(false, tls_sni, false): the receiver's certificate is not verified.
          rejectUnauthorized: false,
          ...(this.#config.tls_sni != null
            ? { servername: this.#config.tls_sni }
            : net.isIP(host) === 0
              ? { servername: host }
              : {}),
        })
      : net.connect({ host, port });
    socket.unref();
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      this.#log.error(`failed to connect to ${this.#where}: timeout`);
      this.#fail(socket);
    }, timeout).unref();
    socket.once(this.#config.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(this.#connectTimer);
      this.#connected = true;
      const pending = this.#pending;
      this.#pending = [];
      for (const line of pending) this.#write(line);
    });
    socket.on('error', (err) => {
      const what = this.#connected
        ? 'failed to send data to'
        : this.#config.tls
          ? 'failed to perform TLS handshake to'
          : 'failed to connect to';
      this.#log.error({ err }, `${what} ${this.#where}: ${err.message}`);
      this.#fail(socket);
    });
    // The receiver's bytes (it should send none) are read and discarded; its close ends ours.
    socket.resume();
    socket.on('close', () => this.#fail(socket));
  }

  #write(line: string): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#unsent++;
    socket.write(line, (err) => {
      this.#unsent--;
      if (err === undefined || err === null) this.#written();
    });
    if (this.#writeTimer === undefined && socket.writableLength > 0) {
      this.#writeTimer = setTimeout(() => {
        this.#log.error(`failed to send data to ${this.#where}: timeout`);
        this.#fail(socket);
      }, this.#config.timeout).unref();
    }
  }

  /** A write reached the kernel: the receiver reads; the idle clock starts when nothing waits. */
  #written(): void {
    if (this.#unsent > 0) return;
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    clearTimeout(this.#idleTimer);
    const keepalive = this.#config.keepalive;
    if (keepalive > 0) this.#idleTimer = setTimeout(() => this.#fail(this.#socket), keepalive).unref();
  }

  /** Ends `socket` (when it is still ours) and drops what waited on it. */
  #fail(socket: net.Socket | undefined): void {
    if (socket !== this.#socket || socket === undefined) return;
    this.#socket = undefined;
    this.#connected = false;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#writeTimer);
    clearTimeout(this.#idleTimer);
    this.#writeTimer = undefined;
    socket.destroy();
    const lost = this.#pending.length + this.#unsent;
    this.#pending = [];
    this.#unsent = 0;
    if (lost > 0) this.#drop(lost);
    this.#onIdle();
  }

  #drop(count: number): void {
    countLogDrops('tcp-log', count);
    if (!this.#dropWarned) {
      this.#dropWarned = true;
      this.#log.warn({ dropped: count }, `dropping log entries for ${this.#where}`);
      setTimeout(() => {
        this.#dropWarned = false;
      }, 10_000).unref();
    }
  }
}
