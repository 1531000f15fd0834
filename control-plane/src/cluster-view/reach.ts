/**
 * How long each config version took to reach each data plane: from the moment this control
 * plane learned of the version to the Ack of it (or of a newer one: versions that arrive in a
 * burst are coalesced into one push, which brings all of them). Versions made before a data
 * plane connected are not timed for it: its first snapshot says nothing about propagation.
 * Both moments are read from this
 * process's clock, so no clock skew enters the figure. Memory only, the last `limit` versions.
 */
export interface VersionReach {
  readonly version: number;
  /** When this control plane learned of the version, ms since the epoch. */
  readonly at: number;
  /** Milliseconds from `at` to the Ack, by data-plane id. */
  readonly reached: Readonly<Record<string, number>>;
}

export interface Reached {
  readonly version: number;
  readonly ms: number;
}

export class ReachTimeline {
  readonly #limit: number;
  /** Oldest first. */
  readonly #versions: { version: number; at: number; reached: Record<string, number> }[] = [];
  /** When each data plane's current stream opened. */
  readonly #connectedAt = new Map<string, number>();

  constructor(limit = 50) {
    this.#limit = limit;
  }

  /** A new version; older or repeated versions are ignored. */
  versionSeen(version: number, at: number): void {
    const last = this.#versions.at(-1);
    if (last !== undefined && version <= last.version) return;
    this.#versions.push({ version, at, reached: {} });
    if (this.#versions.length > this.#limit) this.#versions.shift();
  }

  /** `nodeId` opened a stream at `at`: only versions made from then on are timed for it. */
  connected(nodeId: string, at: number): void {
    this.#connectedAt.set(nodeId, at);
  }

  /** `nodeId` acked `version` at `at`: returns the versions this brought to it for the first time. */
  acked(nodeId: string, version: number, at: number): Reached[] {
    const out: Reached[] = [];
    const since = this.#connectedAt.get(nodeId) ?? Number.NEGATIVE_INFINITY;
    for (const entry of this.#versions) {
      if (entry.version > version) break;
      if (entry.at <= since || entry.reached[nodeId] !== undefined) continue;
      const ms = Math.max(0, at - entry.at);
      entry.reached[nodeId] = ms;
      out.push({ version: entry.version, ms });
    }
    return out;
  }

  /** Newest first. */
  entries(): VersionReach[] {
    return this.#versions.map((e) => ({ version: e.version, at: e.at, reached: { ...e.reached } })).reverse();
  }
}
