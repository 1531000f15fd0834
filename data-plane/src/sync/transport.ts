import { type ClientDuplexStream, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ConfigSyncClient, type ControlPlaneMessage, type DataPlaneMessage } from '@turnpike/proto';
import type { Logger } from '@turnpike/shared';
import {
  type ClusterChannelOptions,
  channelCredentials,
  channelOptions,
  NODE_ID_METADATA,
} from '@turnpike/shared/cluster';
import type { BackoffOptions } from './backoff.ts';
import { tcpProbe } from './probe.ts';
import { ReconnectTimer } from './reconnect.ts';

export interface TransportOptions {
  /** `cluster_control_plane`: host:port. */
  address: string;
  tls: ClusterChannelOptions;
  /** Sent as call metadata too, so that a control plane refusing the certificate can name us. */
  nodeId: string;
  /** `cluster_max_payload`. */
  maxPayload: number;
  heartbeatIntervalMs: number;
  backoff: BackoffOptions;
  log: Logger;
  /** Whether the control plane's address answers TCP; default a real probe of `address`. */
  probe?: () => Promise<boolean>;
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

type Call = ClientDuplexStream<DataPlaneMessage, ControlPlaneMessage>;

/**
 * The gRPC side of a data plane's sync: one ConfigSync stream at a time to the control plane,
 * heartbeats, a dead-stream check (three heartbeat intervals without a word), and reconnection
 * (reconnect.ts). Each attempt opens a fresh channel, so that grpc-js's own reconnect backoff
 * never adds to this one. What the messages mean is the session's business, not this.
 */
export class SyncTransport {
  readonly #options: TransportOptions;
  readonly #events: TransportEvents;
  readonly #reconnect: ReconnectTimer;
  #stopped = false;
  #connected = false;
  #attempt = 0;
  #current: { call: Call; client: ConfigSyncClient; end: (error: string) => void } | undefined;

  constructor(options: TransportOptions, events: TransportEvents) {
    this.#options = options;
    this.#events = events;
    this.#reconnect = new ReconnectTimer({
      backoff: options.backoff,
      probe: options.probe ?? tcpProbe(options.address),
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
    current.call.write(message);
    return true;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reconnect.cancel();
    const current = this.#current;
    current?.call.cancel();
    current?.end('stopped');
  }

  #connect(): void {
    if (this.#stopped) return;
    const options = this.#options;
    const client = new ConfigSyncClient(options.address, channelCredentials(options.tls), {
      ...channelOptions(options.tls),
      'grpc.max_receive_message_length': options.maxPayload + 1024 * 1024,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    });
    const metadata = new Metadata();
    metadata.set(NODE_ID_METADATA, options.nodeId);
    const call = client.sync(metadata, {});
    let lastHeard = Date.now();
    let refused = false;
    let ended = false;
    let heartbeat: NodeJS.Timeout | undefined;

    const stream: SyncStream = {
      send: (message) => {
        if (!ended) call.write(message);
      },
      get ended() {
        return ended;
      },
      restart: () => {
        if (ended) return;
        call.cancel();
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
      if (this.#current?.call === call) this.#current = undefined;
      this.#connected = false;
      client.close();
      this.#events.closed(error);
      if (this.#stopped) return;
      const delay = this.#reconnect.schedule(this.#attempt, refused, () => this.#connect());
      this.#attempt += 1;
      options.log.warn(
        { error, retry_in_ms: delay, attempt: this.#attempt },
        'sync stream closed; reconnecting',
      );
    };
    this.#current = { call, client, end };

    call.on('metadata', () => {
      this.#connected = true;
      this.#attempt = 0;
      lastHeard = Date.now();
      this.#events.connected();
    });
    call.on('data', (message: ControlPlaneMessage) => {
      lastHeard = Date.now();
      if (!ended) this.#events.message(message, stream);
    });
    call.on('error', (error: ServiceError) => {
      // Ours: a cancel after the stream was already ended here (resync, dead stream, stop).
      if (ended) return;
      if (error.code === status.CANCELLED && this.#stopped) return end('stopped');
      const deniedAccess = error.code === status.UNAUTHENTICATED || error.code === status.PERMISSION_DENIED;
      // The control plane refused our certificate: no use knocking again soon.
      if (deniedAccess) refused = true;
      options.log[deniedAccess ? 'error' : 'warn'](
        { code: error.code, details: error.details },
        'sync stream failed',
      );
      end(error.details || error.message);
    });
    call.on('status', () => end('stream ended'));
    call.on('end', () => end('stream ended'));

    call.write(this.#events.opening());
    heartbeat = setInterval(() => {
      if (Date.now() - lastHeard > 3 * options.heartbeatIntervalMs) {
        // Three intervals without a word: the stream is dead even if TCP has not noticed.
        call.cancel();
        end('no message from the control plane for three heartbeat intervals');
        return;
      }
      stream.send(this.#events.heartbeat());
    }, options.heartbeatIntervalMs);
    heartbeat.unref();
  }
}
