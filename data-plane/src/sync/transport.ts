import type { ControlPlaneMessage, DataPlaneMessage } from '@turnpike/proto';
import type { Logger } from '@turnpike/shared';
import type { BackoffOptions } from './backoff.ts';
import { ReconnectTimer } from './reconnect.ts';

/** How a stream attempt failed, as the channel reports it. */
export interface ConnectionFailure {
  /**
   * `refused`: the control plane denied access (gRPC UNAUTHENTICATED / PERMISSION_DENIED): the
   * next attempt waits the whole backoff cap. `cancelled`: ended from this side.
   */
  reason: 'refused' | 'cancelled' | 'error';
  code: number;
  details: string;
}

/** What a channel reports of one stream attempt. Nothing is reported from inside `dial` itself. */
export interface ConnectionEvents {
  /** The control plane accepted the stream (gRPC: its headers). */
  opened(): void;
  message(message: ControlPlaneMessage): void;
  failed(failure: ConnectionFailure): void;
  /** Ended without an error. */
  ended(): void;
}

/** One stream attempt, as the transport drives it. */
export interface Connection {
  write(message: DataPlaneMessage): void;
  /** Ends it from this side. */
  cancel(): void;
  /** Frees what the attempt holds (gRPC: its channel), once it ended. */
  release(): void;
}

/** Opens one stream to the control plane: over gRPC (grpc-dial.ts) or in-process (in-process-dial.ts). */
export type Dial = (events: ConnectionEvents) => Connection;

export interface TransportOptions {
  dial: Dial;
  heartbeatIntervalMs: number;
  backoff: BackoffOptions;
  log: Logger;
  /** Whether the control plane is there to connect to (reconnect.ts): a TCP probe of its address. */
  probe: () => Promise<boolean>;
}

/** One stream, as the driver sees it. */
export interface SyncStream {
  send(message: DataPlaneMessage): void;
  /** Over (ended, or replaced by a newer stream): what it delivered is stale. */
  readonly ended: boolean;
  /** Closes it; the transport reconnects (after a delta that cannot build on what is held). */
  restart(): void;
  /** The control plane refused this data plane: the next attempt waits the whole backoff cap. */
  markRefused(): void;
}

export interface TransportEvents {
  /** The first message of every new stream (Hello). */
  opening(): DataPlaneMessage;
  /** Sent every heartbeat interval. */
  heartbeat(): DataPlaneMessage;
  connected(): void;
  message(message: ControlPlaneMessage, stream: SyncStream): void;
  closed(error: string): void;
}

/**
 * The channel side of a data plane's sync: one ConfigSync stream at a time to the control plane
 * (each attempt a fresh `dial`), heartbeats, a dead-stream check (three heartbeat intervals
 * without a word), and reconnection (reconnect.ts). What the messages mean is the session's
 * business, not this; how a stream is carried, the dial's.
 */
export class SyncTransport {
  readonly #options: TransportOptions;
  readonly #events: TransportEvents;
  readonly #reconnect: ReconnectTimer;
  #stopped = false;
  #connected = false;
  #attempt = 0;
  #current: { connection: Connection; end: (error: string) => void } | undefined;

  constructor(options: TransportOptions, events: TransportEvents) {
    this.#options = options;
    this.#events = events;
    this.#reconnect = new ReconnectTimer({
      backoff: options.backoff,
      probe: options.probe,
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#connect();
  }

  /** Writes to the stream open now (after its Hello); false when none is connected. */
  send(message: DataPlaneMessage): boolean {
    const current = this.#current;
    if (current === undefined || !this.#connected) return false;
    current.connection.write(message);
    return true;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reconnect.cancel();
    const current = this.#current;
    current?.connection.cancel();
    current?.end('stopped');
  }

  #connect(): void {
    if (this.#stopped) return;
    const options = this.#options;
    let lastHeard = Date.now();
    let refused = false;
    let ended = false;
    let heartbeat: NodeJS.Timeout | undefined;

    const connection = options.dial({
      opened: () => {
        this.#connected = true;
        this.#attempt = 0;
        lastHeard = Date.now();
        this.#events.connected();
      },
      message: (message) => {
        lastHeard = Date.now();
        if (!ended) this.#events.message(message, stream);
      },
      failed: (failure) => {
        // Ours: a cancel after the stream was already ended here (resync, dead stream, stop).
        if (ended) return;
        if (failure.reason === 'cancelled' && this.#stopped) return end('stopped');
        const deniedAccess = failure.reason === 'refused';
        // The control plane refused our certificate: no use knocking again soon.
        if (deniedAccess) refused = true;
        options.log[deniedAccess ? 'error' : 'warn'](
          { code: failure.code, details: failure.details },
          'sync stream failed',
        );
        end(failure.details);
      },
      ended: () => end('stream ended'),
    });
    const stream: SyncStream = {
      send: (message) => {
        if (!ended) connection.write(message);
      },
      get ended() {
        return ended;
      },
      restart: () => {
        if (ended) return;
        connection.cancel();
        end('resynchronising: reconnecting for a whole snapshot');
      },
      markRefused: () => {
        refused = true;
      },
    };
    const end = (error: string): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      if (this.#current?.connection === connection) this.#current = undefined;
      this.#connected = false;
      connection.release();
      this.#events.closed(error);
      if (this.#stopped) return;
      const delay = this.#reconnect.schedule(this.#attempt, refused, () => this.#connect());
      this.#attempt += 1;
      options.log.warn(
        { error, retry_in_ms: delay, attempt: this.#attempt },
        'sync stream closed; reconnecting',
      );
    };
    this.#current = { connection, end };

    connection.write(this.#events.opening());
    heartbeat = setInterval(() => {
      if (Date.now() - lastHeard > 3 * options.heartbeatIntervalMs) {
        // Three intervals without a word: the stream is dead even if TCP has not noticed.
        connection.cancel();
        end('no message from the control plane for three heartbeat intervals');
        return;
      }
      stream.send(this.#events.heartbeat());
    }, options.heartbeatIntervalMs);
    heartbeat.unref();
  }
}
