import type {
  ControlPlaneMessage,
  DataPlaneMessage,
  Delta,
  SetTargetHealth,
  Snapshot,
} from '@turnpike/proto';
import { type ErrorCode, TurnpikeError } from '@turnpike/shared';
import type { ConfigDelta, VersionedConfig } from '@turnpike/shared/sync';
import type { DeltaCandidate } from './config-store.ts';

/** Who this data plane is, as its Hello says. */
export interface SessionIdentity {
  nodeId: string;
  hostname: string;
  turnpikeVersion: string;
  plugins: readonly { name: string; version: string }[];
  /** `cluster_dp_labels`, as `key:value`. */
  labels: readonly string[];
}

/** What the session reads of the config store: the held version, and decode + verify. */
export interface SessionStore {
  readonly held: VersionedConfig | undefined;
  fromSnapshot(snapshot: Snapshot): VersionedConfig;
  fromDelta(delta: Delta): DeltaCandidate;
}

export type ConfigKind = 'snapshot' | 'delta';

/** What to do with a message from the control plane. */
export type SessionStep =
  /** A verified config to validate, compile and swap in; then `acknowledge` or `reject` it. */
  | {
      type: 'apply';
      kind: ConfigKind;
      next: VersionedConfig;
      /** For a Delta: what changed, so that the work can be proportional to the change. */
      delta?: ConfigDelta;
      /** When the message was received (for the Ack's apply_ms). */
      receivedAt: number;
    }
  /** Refused before any apply: send the Nack; with `resync`, then reconnect asking for a snapshot. */
  | {
      type: 'nack';
      kind: ConfigKind;
      version: number;
      message: DataPlaneMessage;
      error: NackError;
      resync: boolean;
    }
  /** The control plane will not serve this data plane; it closes the stream. */
  | { type: 'refused'; syncStatus: string; message: string }
  /** Mark a target healthy or unhealthy (the Admin API's healthy/unhealthy); answer with `commandResult`. */
  | { type: 'set-target-health'; command: SetTargetHealth }
  /** A heartbeat (liveness only) or a kind this data plane does not know (ignored by contract). */
  | { type: 'none' };

/** A Nack's reason: a catalogue code and a line of text. */
export interface NackError {
  code: ErrorCode;
  text: string;
}

/**
 * The data plane's side of the sync protocol, as a state machine without I/O or clocks: Hello
 * (with the version held, or 0 to ask for a snapshot), each Snapshot or Delta verified into a
 * config to apply, then exactly one Ack or Nack for it, Refusal. The driver (client.ts) moves
 * messages between it, the transport and the apply step; the session decides what they mean.
 */
export class SyncSession {
  readonly #identity: SessionIdentity;
  readonly #store: SessionStore;
  /** Set after a delta that cannot build on what is held: the next Hello asks for a snapshot. */
  #wantSnapshot = false;

  constructor(identity: SessionIdentity, store: SessionStore) {
    this.#identity = identity;
    this.#store = store;
  }

  /** The first message of a new stream. */
  hello(): DataPlaneMessage {
    const held = this.#wantSnapshot ? undefined : this.#store.held;
    this.#wantSnapshot = false;
    return {
      kind: {
        $case: 'hello',
        value: {
          nodeId: this.#identity.nodeId,
          hostname: this.#identity.hostname,
          turnpikeVersion: this.#identity.turnpikeVersion,
          plugins: [...this.#identity.plugins],
          configVersion: held?.version ?? 0,
          configHash: held?.hash ?? '',
          labels: [...this.#identity.labels],
        },
      },
    };
  }

  heartbeat(nowMs: number): DataPlaneMessage {
    const held = this.#store.held;
    return {
      kind: {
        $case: 'heartbeat',
        value: { configVersion: held?.version ?? 0, configHash: held?.hash ?? '', sentAtMs: nowMs },
      },
    };
  }

  /** `now` is a monotonic clock reading in ms (performance.now()), kept for the Ack's apply_ms. */
  receive(message: ControlPlaneMessage, now: number): SessionStep {
    const kind = message.kind;
    switch (kind?.$case) {
      case 'snapshot': {
        try {
          return {
            type: 'apply',
            kind: 'snapshot',
            next: this.#store.fromSnapshot(kind.value),
            receivedAt: now,
          };
        } catch (error) {
          return this.#nack('snapshot', kind.value.version, error, false);
        }
      }
      case 'delta': {
        try {
          const candidate = this.#store.fromDelta(kind.value);
          return { type: 'apply', kind: 'delta', ...candidate, receivedAt: now };
        } catch (error) {
          // Nothing held to build on: reconnect, and ask for a whole snapshot.
          this.#wantSnapshot = true;
          return this.#nack('delta', kind.value.version, error, true);
        }
      }
      case 'refusal':
        return { type: 'refused', syncStatus: kind.value.syncStatus, message: kind.value.message };
      case 'setTargetHealth':
        return { type: 'set-target-health', command: kind.value };
      default:
        return { type: 'none' };
    }
  }

  /** The Ack once `step.next` serves traffic. */
  acknowledge(step: Extract<SessionStep, { type: 'apply' }>, now: number): DataPlaneMessage {
    return {
      kind: {
        $case: 'ack',
        value: {
          version: step.next.version,
          hash: step.next.hash,
          applyMs: Math.max(0, Math.round(now - step.receivedAt)),
        },
      },
    };
  }

  /** The answer to a command: done, refused with `error`, or `found` false for an upstream not balanced here. */
  commandResult(requestId: number, outcome: { error?: string; found: boolean }): DataPlaneMessage {
    return {
      kind: {
        $case: 'commandResult',
        value: { requestId, error: outcome.error ?? '', found: outcome.found },
      },
    };
  }

  /** The Nack for a config the apply step refused; the old config keeps serving. */
  reject(
    step: Extract<SessionStep, { type: 'apply' }>,
    error: unknown,
  ): { message: DataPlaneMessage; error: NackError } {
    const reason = nackError(error);
    return { message: nackMessage(step.next.version, reason), error: reason };
  }

  #nack(kind: ConfigKind, version: number, error: unknown, resync: boolean): SessionStep {
    const reason = nackError(error);
    return { type: 'nack', kind, version, message: nackMessage(version, reason), error: reason, resync };
  }
}

/** For anything thrown that is not an error of the catalogue. */
const GENERIC_CODE: ErrorCode = 'TP_CONFIG_REJECTED';

/** A thrown error as a Nack's reason: its catalogue code, or TP_CONFIG_REJECTED. */
export function nackError(error: unknown): NackError {
  const text = error instanceof Error ? error.message : String(error);
  return { code: error instanceof TurnpikeError ? error.code : GENERIC_CODE, text };
}

function nackMessage(version: number, reason: NackError): DataPlaneMessage {
  return { kind: { $case: 'nack', value: { version, error: reason.text, details: [], code: reason.code } } };
}
