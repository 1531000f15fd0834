import {
  type ConfigContent,
  type EncodedPayload,
  type EncodeOptions,
  encodeSnapshotPayload,
} from '@turnpike/shared/sync';
import type { ConfigSource } from './config-source.ts';

/** The whole configuration at one version, as the bytes of a Snapshot message. */
export interface EncodedSnapshot {
  version: number;
  hash: string;
  encoded: EncodedPayload;
}

export interface SnapshotEncodingOptions extends EncodeOptions {
  /** The encoder; tests count calls through it. Default `encodeSnapshotPayload`. */
  encode?: (config: ConfigContent, options: EncodeOptions) => Promise<EncodedPayload>;
}

/**
 * The latest snapshot, encoded once per version and shared by every data plane that needs a
 * whole snapshot. At most one encoding runs at a time (each holds a slice of the event loop and
 * a thread-pool thread): a request made while an older version is being encoded waits for it,
 * then shares a single encoding of the newest version. The answer is never older than the
 * version that was latest when it was asked for.
 */
export class SnapshotEncodingCache {
  readonly #source: ConfigSource;
  readonly #options: EncodeOptions;
  readonly #encode: NonNullable<SnapshotEncodingOptions['encode']>;
  #done: EncodedSnapshot | undefined;
  #running: { version: number; promise: Promise<EncodedSnapshot> } | undefined;
  /** The one encoding queued behind the running one. */
  #queued: Promise<EncodedSnapshot> | undefined;

  constructor(source: ConfigSource, options: SnapshotEncodingOptions = {}) {
    const { encode, ...encodeOptions } = options;
    this.#source = source;
    this.#options = encodeOptions;
    this.#encode = encode ?? encodeSnapshotPayload;
  }

  latest(): Promise<EncodedSnapshot> {
    const wanted = this.#source.latest().version;
    if (this.#done !== undefined && this.#done.version >= wanted) return Promise.resolve(this.#done);
    const running = this.#running;
    if (running === undefined) return this.#start();
    if (running.version >= wanted) return running.promise;
    this.#queued ??= running.promise
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.latest();
      });
    return this.#queued;
  }

  #start(): Promise<EncodedSnapshot> {
    const version = this.#source.latest().version;
    const run = async (): Promise<EncodedSnapshot> => {
      try {
        const snapshot = await this.#source.snapshot();
        const encoded = await this.#encode(snapshot.config, this.#options);
        const result = { version: snapshot.version, hash: snapshot.hash, encoded };
        if (this.#done === undefined || result.version > this.#done.version) this.#done = result;
        return result;
      } finally {
        this.#running = undefined;
      }
    };
    const running = { version, promise: run() };
    this.#running = running;
    return running.promise;
  }
}
