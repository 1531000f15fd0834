import type { ControlPlaneMessage, DataPlaneMessage, Hello } from '@turnpike/proto';
import { type Logger, SyncAckTimeoutError } from '@turnpike/shared';
import { changeToWire } from '@turnpike/shared/sync';
import type { ConfigSource, EncodedSnapshot } from '../snapshot/index.ts';
import type { ClusterBalancers, CommandTarget } from './cluster-balancers.ts';
import { checkPlugins, checkVersion } from './compatibility.ts';
import type { RefusalReason, SyncMetrics } from './metrics.ts';
import type { DataPlaneRecord, DataPlaneRegistry } from './registry.ts';
import { parseLabels } from './registry.ts';

/** What a session needs from the server around it. */
export interface SessionContext {
  source: ConfigSource;
  registry: DataPlaneRegistry;
  log: Logger;
  metrics: SyncMetrics;
  turnpikeVersion: string;
  maxPayload: number;
  /** How long a version may stay in flight without Ack or Nack (see `expireOverdue`). */
  ackTimeoutMs: number;
  /** The latest snapshot, encoded once for every data plane. */
  encodedSnapshot(): Promise<EncodedSnapshot>;
  /** Called once the data plane said who it is, before anything is sent to it. */
  identified(session: DataPlaneSession): void;
  /** The data planes' balancers: their health reports and command results go there. */
  balancers: ClusterBalancers;
}

/** The stream, as the session sees it. */
export interface SessionStream {
  send(message: ControlPlaneMessage): void;
  /** Ends the stream: OK without a code, else with that gRPC status. */
  close(code?: number, details?: string): void;
  peerIp: string;
  certDetails: { expiry_timestamp: number } | undefined;
}

interface InFlight {
  kind: 'snapshot' | 'delta';
  version: number;
  hash: string;
  sentAt: number;
}

const INVALID_ARGUMENT = 3;
const DEADLINE_EXCEEDED = 4;

/** The drift of an Ack's hash is a hash mismatch, as the data plane's own check names it. */
const HASH_MISMATCH = 'TP_SYNC_HASH_MISMATCH';
/** A data plane lacking a plugin the configuration uses, in last_error_code (and its Nack's code). */
const PLUGIN_SET_INCOMPATIBLE = 'TP_PLUGIN_SET_INCOMPATIBLE';
const INCOMPATIBLE: ReadonlySet<string> = new Set([
  'plugin_set_incompatible',
  'turnpike_version_incompatible',
]);

/**
 * One data plane's stream: the state machine of hello → (refusal | push → ack/nack)*.
 * At most one version is in flight; whatever arrives meanwhile is coalesced into a single push
 * from the data plane's acknowledged version to the newest (so a data plane is never sent a
 * version older than the newest, nor two at once).
 */
export class DataPlaneSession implements CommandTarget {
  readonly #ctx: SessionContext;
  readonly #stream: SessionStream;
  #nodeId: string | undefined;
  #hostname = '';
  /** What the data plane holds, by its hello and acks. */
  #held = { version: 0, hash: '' };
  #inFlight: InFlight | undefined;
  /** A version the data plane refused: never sent again. */
  #rejected: number | undefined;
  /** After a refused delta, the next push is a whole snapshot. */
  #needSnapshot = false;
  #pumping = false;
  #pumpAgain = false;
  #closed = false;
  #refused = false;
  /** The plugins the data plane said it has (Hello). */
  #plugins: readonly { name: string }[] = [];
  /** The plugin set problem last reported, so that it is logged once, not at every push. */
  #incompatible: string | undefined;
  lastMessageAt = Date.now();

  constructor(ctx: SessionContext, stream: SessionStream) {
    this.#ctx = ctx;
    this.#stream = stream;
  }

  get nodeId(): string | undefined {
    return this.#nodeId;
  }

  get hostname(): string {
    return this.#hostname;
  }

  /** Identified, not refused, not closed: commands may be sent. */
  get serving(): boolean {
    return this.#nodeId !== undefined && !this.#closed && !this.#refused;
  }

  /** A command (SetTargetHealth) for the data plane; dropped on a stream that is not serving. */
  send(message: ControlPlaneMessage): void {
    if (this.serving) this.#stream.send(message);
  }

  get inFlightVersion(): number | undefined {
    return this.#inFlight?.version;
  }

  receive(message: DataPlaneMessage): void {
    this.lastMessageAt = Date.now();
    const kind = message.kind;
    if (this.#nodeId === undefined) {
      if (kind?.$case !== 'hello') {
        this.#refuseStream('the first message of a sync stream must be Hello');
        return;
      }
      this.#hello(kind.value);
      return;
    }
    const seen = Math.floor(this.lastMessageAt / 1000);
    switch (kind?.$case) {
      case 'ack':
        this.#ack(kind.value.version, kind.value.hash, seen);
        this.#ctx.metrics.applyDuration(kind.value.applyMs / 1000);
        break;
      case 'nack':
        this.#nack(
          kind.value.version,
          [kind.value.error, ...kind.value.details].join('\n'),
          kind.value.code,
          seen,
        );
        break;
      case 'heartbeat':
        this.#update({ last_seen: seen });
        if (this.#inFlight === undefined) void this.pump();
        break;
      case 'healthReport':
        this.#ctx.balancers.reported(this.#nodeId, kind.value);
        break;
      case 'commandResult':
        this.#ctx.balancers.answered(this.#nodeId, kind.value);
        break;
      case 'hello':
        this.#refuseStream('Hello may only be the first message of a sync stream');
        break;
      default:
        // A newer data plane's message kind: ignored, as the proto's compatibility rules say.
        break;
    }
  }

  /** A newer stream from the same data plane replaces this one: close it, silently. */
  supersede(): void {
    this.#closed = true;
    this.#stream.close(10, 'a newer stream from the same node_id replaced this one');
  }

  /** Ends a stream that went silent (or at shutdown); the data plane shows offline. */
  expire(code = 4, details = 'no message from the data plane within the dead interval'): void {
    this.#stream.close(code, details);
    this.closed();
  }

  /**
   * Called by the server's sweep. A version in flight for longer than `ackTimeoutMs` without Ack
   * or Nack (a data plane whose apply hangs, or whose answer was lost) is given up: the error is
   * logged, counted and shown as last_error, and the stream is closed, so that the data plane
   * reconnects and says in its Hello what it holds — the control plane then sends what is
   * missing. Returns whether the stream was closed.
   */
  expireOverdue(now: number = performance.now()): boolean {
    const sent = this.#inFlight;
    if (this.#closed || sent === undefined || now - sent.sentAt <= this.#ctx.ackTimeoutMs) return false;
    const error = new SyncAckTimeoutError(
      `no Ack or Nack for ${sent.kind} version ${sent.version} within ${this.#ctx.ackTimeoutMs} ms: the stream was closed so that the data plane reconnects`,
    );
    this.#ctx.metrics.ackTimedOut();
    this.#ctx.log.warn(
      {
        node_id: this.#nodeId,
        version: sent.version,
        kind: sent.kind,
        waited_ms: Math.round(now - sent.sentAt),
      },
      'data plane did not answer a configuration in time',
    );
    this.#update({ sync_status: 'unknown', last_error: error.message, last_error_code: error.code });
    this.expire(DEADLINE_EXCEEDED, error.message);
    return true;
  }

  heartbeat(message: ControlPlaneMessage): void {
    if (!this.#closed) this.#stream.send(message);
  }

  /** The stream is gone; the data plane shows offline unless it was refused. */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#nodeId === undefined) return;
    this.#ctx.metrics.forget(this.#nodeId);
    this.#ctx.balancers.forget(this.#nodeId);
    const fields: Partial<DataPlaneRecord> = { connected: false };
    if (!this.#refused) fields.sync_status = 'offline';
    this.#update(fields);
  }

  /** Sends what the data plane is missing, unless something is in flight. Safe to call anytime. */
  async pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        await this.#pushOnce();
      } while (this.#pumpAgain);
    } catch (error) {
      this.#ctx.log.error({ err: error, node_id: this.#nodeId }, 'config push failed');
      this.#stream.close(13, 'control plane could not build the configuration');
    } finally {
      this.#pumping = false;
    }
  }

  #hello(hello: Hello): void {
    if (hello.nodeId === '') {
      this.#refuseStream('Hello.node_id is required', hello.hostname);
      return;
    }
    this.#nodeId = hello.nodeId;
    this.#hostname = hello.hostname;
    this.#ctx.identified(this);
    this.#held = { version: hello.configVersion, hash: hello.configHash };
    // last_error stays until the data plane is back in sync: a reconnect is no fix.
    this.#update({
      hostname: hello.hostname,
      ip: this.#stream.peerIp,
      version: hello.turnpikeVersion,
      config_version: hello.configVersion,
      config_hash: hello.configHash,
      last_seen: Math.floor(this.lastMessageAt / 1000),
      sync_status: 'unknown',
      cert_details: this.#stream.certDetails,
      connected: true,
      labels: parseLabels(hello.labels),
    });
    // Only a version the control plane cannot serve is refused. A data plane lacking a plugin the
    // configuration uses is still sent every version: it refuses them (Nack, keeping its last good
    // one) and reports not ready, and catches up by itself once the configuration no longer uses
    // the plugin or it comes back with it.
    this.#plugins = hello.plugins;
    const refusal = checkVersion(this.#ctx.turnpikeVersion, hello.turnpikeVersion);
    if (refusal !== undefined) {
      this.#refused = true;
      this.#logRefusal(refusal.syncStatus, refusal.message, hello.hostname);
      this.#update({ sync_status: refusal.syncStatus, last_error: refusal.message, last_error_code: '' });
      this.#stream.send({ kind: { $case: 'refusal', value: refusal } });
      this.#stream.close();
      return;
    }
    this.#ctx.log.info(
      { node_id: hello.nodeId, hostname: hello.hostname, config_version: hello.configVersion },
      'data plane connected',
    );
    this.#checkPluginSet();
    void this.pump();
  }

  /**
   * Kong's check_configuration_compatibility, at each version: the plugins the configuration uses
   * against those the data plane has. An incompatible data plane is shown as
   * `plugin_set_incompatible` with the missing plugins in last_error; it is sent the version all
   * the same (its Nack, code TP_PLUGIN_SET_INCOMPATIBLE, confirms it).
   */
  #checkPluginSet(): void {
    const problem = checkPlugins(this.#ctx.source.pluginsInUse(), this.#plugins);
    if (problem === undefined) {
      this.#incompatible = undefined;
      return;
    }
    if (this.#incompatible !== problem.message) {
      this.#incompatible = problem.message;
      this.#ctx.log.warn(
        { node_id: this.#nodeId, reason: problem.syncStatus, error: problem.message },
        'data plane lacks plugins the configuration uses',
      );
    }
    this.#update({
      sync_status: problem.syncStatus,
      last_error: problem.message,
      last_error_code: PLUGIN_SET_INCOMPATIBLE,
    });
  }

  #ack(version: number, hash: string, seen: number): void {
    const sent = this.#inFlight;
    if (sent === undefined || sent.version !== version) {
      this.#ctx.log.warn({ node_id: this.#nodeId, version }, 'Ack for a version not in flight: ignored');
      this.#update({ last_seen: seen });
      return;
    }
    this.#inFlight = undefined;
    this.#held = { version, hash };
    this.#ctx.metrics.pushDuration((performance.now() - sent.sentAt) / 1000);
    if (this.#nodeId !== undefined) {
      this.#ctx.metrics.lag(this.#nodeId, Math.max(0, this.#ctx.source.latest().version - version));
    }
    const drifted = hash !== sent.hash;
    if (drifted) {
      // The data plane computed another hash: resending this version would drift again, so
      // the next version goes out as a whole snapshot.
      this.#needSnapshot = true;
      this.#rejected = version;
      this.#ctx.log.warn({ node_id: this.#nodeId, version, hash, expected: sent.hash }, 'data plane drifted');
    } else {
      this.#needSnapshot = false;
      this.#rejected = undefined;
    }
    this.#update({
      last_seen: seen,
      config_version: version,
      config_hash: hash,
      sync_status: drifted ? 'unknown' : 'normal',
      last_error: drifted ? `hash ${hash} differs from the control plane's ${sent.hash}` : '',
      last_error_code: drifted ? HASH_MISMATCH : '',
    });
    void this.pump();
  }

  #nack(version: number, error: string, code: string, seen: number): void {
    const sent = this.#inFlight;
    if (sent === undefined || sent.version !== version) {
      this.#ctx.log.warn({ node_id: this.#nodeId, version }, 'Nack for a version not in flight: ignored');
      return;
    }
    this.#inFlight = undefined;
    this.#rejected = version;
    if (sent.kind === 'delta') this.#needSnapshot = true;
    this.#ctx.metrics.nacked();
    // A data plane older than the code field sends none: the generic code stands in.
    const lastErrorCode = code === '' ? 'TP_CONFIG_REJECTED' : code;
    const lacksPlugins = lastErrorCode === PLUGIN_SET_INCOMPATIBLE;
    this.#ctx.log.error(
      { node_id: this.#nodeId, version, error, code: lastErrorCode },
      'data plane rejected the configuration',
    );
    this.#update({
      last_seen: seen,
      sync_status: lacksPlugins ? 'plugin_set_incompatible' : 'config_rejected',
      last_error: error,
      last_error_code: lastErrorCode,
    });
    void this.pump();
  }

  async #pushOnce(): Promise<void> {
    if (this.#closed || this.#refused || this.#inFlight !== undefined || this.#nodeId === undefined) return;
    const latest = this.#ctx.source.latest();
    if (latest.version === this.#held.version && latest.hash === this.#held.hash) {
      const status = this.#ctx.registry.get(this.#nodeId)?.sync_status;
      if (this.#rejected === undefined && status !== 'normal') {
        this.#update({ sync_status: 'normal', last_error: '', last_error_code: '' });
      }
      return;
    }
    // A refused version is never resent; the next version gets another chance.
    if (latest.version === this.#rejected) return;
    this.#checkPluginSet();

    const held = this.#held;
    if (!this.#needSnapshot && held.version > 0 && held.version < latest.version && held.hash !== '') {
      const changeSet = await this.#ctx.source.changesSince(held.version);
      const sameBase = changeSet?.fromHash === undefined || changeSet.fromHash === held.hash;
      if (changeSet !== undefined && sameBase && changeSet.version > held.version && !this.#closed) {
        const changes = changeSet.changes.map(changeToWire);
        const size = changes.reduce((n, c) => n + c.value.length + c.entity.length + c.id.length + 8, 0);
        // A delta larger than half the limit is better sent as a compressed snapshot.
        if (size <= this.#ctx.maxPayload / 2) {
          this.#send('delta', changeSet.version, changeSet.hash, {
            kind: {
              $case: 'delta',
              value: { fromVersion: held.version, version: changeSet.version, hash: changeSet.hash, changes },
            },
          });
          return;
        }
      }
    }
    const snapshot = await this.#ctx.encodedSnapshot();
    if (this.#closed || this.#inFlight !== undefined) return;
    if (snapshot.version === this.#rejected) return;
    this.#send('snapshot', snapshot.version, snapshot.hash, {
      kind: {
        $case: 'snapshot',
        value: {
          version: snapshot.version,
          hash: snapshot.hash,
          encoding: snapshot.encoded.encoding,
          payload: snapshot.encoded.payload,
          uncompressedSize: snapshot.encoded.uncompressedSize,
        },
      },
    });
  }

  #send(kind: 'snapshot' | 'delta', version: number, hash: string, message: ControlPlaneMessage): void {
    this.#inFlight = { kind, version, hash, sentAt: performance.now() };
    this.#ctx.metrics.pushed(kind);
    this.#ctx.log.debug({ node_id: this.#nodeId, kind, version }, 'config pushed');
    this.#stream.send(message);
  }

  /** A stream that broke the protocol before saying who it is: refused, counted, closed. */
  #refuseStream(message: string, hostname?: string): void {
    this.#logRefusal('protocol', message, hostname);
    this.#stream.close(INVALID_ARGUMENT, message);
  }

  #logRefusal(reason: RefusalReason, message: string, hostname: string | undefined): void {
    this.#ctx.metrics.refused(reason);
    this.#ctx.log.warn(
      {
        reason,
        node_id: this.#nodeId,
        ...(hostname === undefined || hostname === '' ? {} : { hostname }),
        ip: this.#stream.peerIp,
        error: message,
      },
      'data plane refused',
    );
  }

  #update(fields: Partial<Omit<DataPlaneRecord, 'id'>>): void {
    if (this.#nodeId === undefined) return;
    this.#ctx.registry.upsert(this.#nodeId, fields);
    const status = fields.sync_status;
    if (status !== undefined && status !== 'offline') {
      this.#ctx.metrics.compatible(this.#nodeId, !INCOMPATIBLE.has(status));
    }
  }
}
