/**
 * Many simulated data planes in this one process (issue 14: "write → ACKed by 1,000 simulated
 * DPs; one process holding many streams is fine"): real ConfigSync streams over mutual TLS to
 * the control plane, spread over a few HTTP/2 connections, each saying Hello at the control
 * plane's current version and hash, sending heartbeats, and acknowledging every Delta or
 * Snapshot at once with the version and hash it carries — nothing is applied. What it measures
 * is the control plane's side of a write: building and sending one delta per stream, and taking
 * the Acks.
 */
import { readFile } from 'node:fs/promises';
import { ConfigSyncClient, type ControlPlaneMessage } from '@turnpike/proto';
import { TURNPIKE_VERSION } from '@turnpike/shared';
import { channelCredentials, channelOptions } from '@turnpike/shared/cluster';

export interface Fleet extends AsyncDisposable {
  readonly size: number;
  /** Resolves with performance.now() when every stream has acknowledged `version` or later. */
  ackedBy(version: number, timeoutMs: number): Promise<number>;
}

interface Member {
  acked: number;
  call: ReturnType<ConfigSyncClient['sync']>;
}

const HEARTBEAT_MS = 10_000;

export async function startFleet(options: {
  readonly clusterPort: number;
  readonly certs: { readonly cert: string; readonly key: string };
  readonly count: number;
  /** HTTP/2 connections the streams share. */
  readonly connections: number;
  readonly version: number;
  readonly hash: string;
}): Promise<Fleet> {
  const tls = {
    mode: 'shared' as const,
    certPem: await readFile(options.certs.cert, 'utf8'),
    keyPem: await readFile(options.certs.key, 'utf8'),
  };
  const clients = Array.from(
    { length: options.connections },
    () =>
      new ConfigSyncClient(`127.0.0.1:${options.clusterPort}`, channelCredentials(tls), channelOptions(tls)),
  );
  const members: Member[] = [];
  let waiters: { version: number; resolve: (at: number) => void }[] = [];
  const check = () => {
    if (waiters.length === 0) return;
    let lowest = Number.POSITIVE_INFINITY;
    for (const m of members) lowest = Math.min(lowest, m.acked);
    const at = performance.now();
    waiters = waiters.filter((w) => {
      if (lowest < w.version) return true;
      w.resolve(at);
      return false;
    });
  };
  for (let i = 0; i < options.count; i++) {
    const nodeId = `fleet-${String(i).padStart(4, '0')}-${process.pid}`;
    const call = clients[i % clients.length]!.sync();
    const member: Member = { acked: options.version, call };
    members.push(member);
    let held = { version: options.version, hash: options.hash };
    call.on('data', (message: ControlPlaneMessage) => {
      const kind = message.kind;
      if (kind?.$case !== 'delta' && kind?.$case !== 'snapshot') return;
      held = { version: kind.value.version, hash: kind.value.hash };
      call.write({ kind: { $case: 'ack', value: { version: held.version, hash: held.hash, applyMs: 0 } } });
      member.acked = held.version;
      check();
    });
    call.on('error', () => undefined);
    call.write({
      kind: {
        $case: 'hello',
        value: {
          nodeId,
          hostname: `fleet-${i}`,
          turnpikeVersion: TURNPIKE_VERSION,
          plugins: [],
          configVersion: options.version,
          configHash: options.hash,
          labels: [],
        },
      },
    });
    const beat = setInterval(() => {
      call.write({
        kind: {
          $case: 'heartbeat',
          value: { configVersion: held.version, configHash: held.hash, sentAtMs: Date.now() },
        },
      });
    }, HEARTBEAT_MS);
    beat.unref();
    call.on('close', () => clearInterval(beat));
  }
  return {
    size: members.length,
    ackedBy(version, timeoutMs) {
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          const behind = members.filter((m) => m.acked < version).length;
          reject(
            new Error(
              `${behind} of ${members.length} simulated data planes did not ack ${version} in ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          version,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
        check();
      });
    },
    async [Symbol.asyncDispose]() {
      for (const m of members) m.call.cancel();
      for (const c of clients) c.close();
    },
  };
}
