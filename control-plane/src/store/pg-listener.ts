import { DatabaseError, type Logger } from '@turnpike/shared';
import pg from 'pg';
import { redactDsn, toDatabaseError } from './errors.ts';
import type { ListenOptions } from './types.ts';

interface Subscriber {
  readonly onPayload: (payload: string) => void;
  readonly onReconnect: (() => void) | undefined;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

export interface PgListenerOptions {
  /** The Client class to connect with (the datastore's, which listens for 'error' all its life). */
  readonly Client?: new (
    config: pg.ClientConfig,
  ) => pg.Client;
  /** Called when the connection is lost: the datastore checks whether the database is gone. */
  readonly onLost?: () => void;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * LISTEN on one dedicated connection (a pool would hand LISTEN to a connection that then
 * serves other queries). When the connection drops it reconnects with capped, jittered
 * backoff (or at once, `reconnectNow`, when the datastore sees the database back), re-issues
 * every LISTEN and tells subscribers, since notifications sent while it was away are lost;
 * they poll meanwhile.
 */
export class PgListener {
  readonly #config: pg.ClientConfig;
  readonly #log: Logger;
  readonly #Client: new (
    config: pg.ClientConfig,
  ) => pg.Client;
  readonly #onLost: (() => void) | undefined;
  readonly #channels = new Map<string, Set<Subscriber>>();
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #closed = false;

  constructor(config: pg.ClientConfig, log: Logger, options: PgListenerOptions = {}) {
    this.#config = { ...config, application_name: 'turnpike-listener' };
    this.#log = log;
    this.#Client = options.Client ?? pg.Client;
    this.#onLost = options.onLost;
  }

  /** Closes the connection (the database is going away); it reconnects with backoff as after a loss. */
  drop(): void {
    void this.#client?.end().catch(() => undefined);
  }

  /** Reconnects now if the connection is down and a retry is waiting (the database is back). */
  reconnectNow(): void {
    if (this.#closed || this.#client !== undefined || this.#reconnectTimer === undefined) return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#attempt = 0;
    void this.#reconnect();
  }

  async listen(channel: string, onPayload: (payload: string) => void, options?: ListenOptions) {
    const subscriber: Subscriber = { onPayload, onReconnect: options?.onReconnect };
    let subscribers = this.#channels.get(channel);
    const first = subscribers === undefined;
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#channels.set(channel, subscribers);
    }
    subscribers.add(subscriber);
    try {
      const client = await this.#connected();
      if (first) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      subscribers.delete(subscriber);
      if (subscribers.size === 0) this.#channels.delete(channel);
      throw toDatabaseError(err, 'PostgreSQL', `could not LISTEN on ${channel}`);
    }
    return async () => {
      const current = this.#channels.get(channel);
      if (current === undefined || !current.delete(subscriber) || current.size > 0) return;
      this.#channels.delete(channel);
      // A lost connection already forgot the LISTEN; nothing to undo then.
      await this.#client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#channels.clear();
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #connected(): Promise<pg.Client> {
    if (this.#client !== undefined) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new this.#Client(this.#config);
    client.on('notification', (message) => {
      for (const subscriber of this.#channels.get(message.channel) ?? []) {
        try {
          subscriber.onPayload(message.payload ?? '');
        } catch (err) {
          this.#log.error({ err, channel: message.channel }, 'notification handler failed');
        }
      }
    });
    // 'error' then 'end' both mean the connection is gone: reconnect once.
    const lost = (err?: Error) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      if (this.#closed) return;
      this.#log.warn({ err: err?.message }, 'LISTEN connection lost, reconnecting');
      this.#onLost?.();
      this.#scheduleReconnect();
    };
    // Listening from construction on, so no 'error' of this connection is ever unhandled.
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      throw new DatabaseError('datastore closed');
    }
    this.#client = client;
    return client;
  }

  #scheduleReconnect(): void {
    const ceiling = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.#attempt);
    const wait = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#reconnect();
    }, wait);
    this.#reconnectTimer.unref();
  }

  async #reconnect(): Promise<void> {
    if (this.#closed) return;
    try {
      const client = await this.#connected();
      for (const channel of this.#channels.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
      this.#attempt = 0;
      this.#log.info({ channels: [...this.#channels.keys()] }, 'LISTEN connection re-established');
      for (const subscribers of this.#channels.values()) {
        for (const subscriber of subscribers) subscriber.onReconnect?.();
      }
    } catch (err) {
      if (this.#closed) return;
      const target = this.#config.connectionString;
      this.#log.warn(
        { err: (err as Error).message, target: target === undefined ? undefined : redactDsn(target) },
        'LISTEN reconnect failed',
      );
      // Connected but LISTEN failed: drop the connection, whose 'end' schedules the next try.
      const client = this.#client;
      if (client === undefined) this.#scheduleReconnect();
      else await client.end().catch(() => undefined);
    }
  }
}
