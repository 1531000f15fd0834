/**
 * Active health checks: every `healthy.interval` seconds the healthy peers, every
 * `unhealthy.interval` seconds the unhealthy ones, get a GET `http_path` (or a TCP connect, or a
 * gRPC health check: `./grpc-probe.ts`),
 * `concurrency` at a time. Timers are unref'd: they never keep the process alive.
 */

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP } from 'node:net';
import { ProbeTimeoutError } from '@turnpike/shared';
import type { Peer } from './peer.ts';
import type { ActiveChecks } from './types.ts';

/** A status code, a kind of failure, or `serving` (a gRPC health check answered SERVING). */
export type ProbeOutcome = number | 'serving' | 'http' | 'tcp' | 'timeout';

/** Sends one probe; resolves with the status code, or the kind of failure. Never rejects. */
export type Probe = (peer: Peer, checks: ActiveChecks, host: string) => Promise<ProbeOutcome>;

/** What the checker needs from its balancer: the current peers and where results go. */
export interface ProbeTarget {
  readonly checks: ActiveChecks;
  peers(): readonly Peer[];
  hostFor(peer: Peer): string;
  report(peer: Peer, outcome: ProbeOutcome): void;
}

/** HTTP(S) GET, TCP connect or gRPC health check with node's clients; the whole probe is bounded by `timeout`. */
export const networkProbe: Probe = (peer, checks, host) =>
  new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      finish('timeout');
      cancel(new ProbeTimeoutError(`no answer within ${checks.timeout} ms`));
    }, checks.timeout);
    timer.unref();
    let cancel: (err: Error) => void;
    if (checks.type === 'grpc' || checks.type === 'grpcs') {
      // Imported on first use: only a node that checks a gRPC upstream loads the proto runtime.
      let inner: ((err: Error) => void) | undefined;
      cancel = (err) => inner?.(err);
      import('./grpc-probe.ts').then(
        ({ grpcProbe }) => {
          if (!settled) inner = grpcProbe(peer, checks, host, (outcome) => finish(outcome));
        },
        () => finish('tcp'),
      );
      return;
    }
    if (checks.type === 'tcp') {
      const socket = connect({ host: peer.ip, port: peer.port }, () => {
        finish(200);
        socket.destroy();
      });
      socket.on('error', () => finish('tcp'));
      cancel = (err) => socket.destroy(err);
      return;
    }
    const https = checks.type === 'https';
    const options = {
      host: peer.ip,
      port: peer.port,
      method: 'GET',
      path: checks.httpPath,
      headers: ['Host', host, ...checks.headers],
      agent: false as const,
      ...(https
        ? {
            rejectUnauthorized: checks.verifyCertificate,
            servername: checks.httpsSni ?? (isIP(peer.hostname) === 0 ? peer.hostname : undefined),
          }
        : {}),
    };
    const req = (https ? httpsRequest : httpRequest)(options, (res) => {
      finish(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    req.on('error', () => finish('tcp'));
    req.end();
    cancel = (err) => req.destroy(err);
  });

export class ActiveChecker {
  #target: ProbeTarget;
  readonly #probe: Probe;
  readonly #timers: (NodeJS.Timeout | undefined)[] = [undefined, undefined];
  #stopped = false;

  constructor(target: ProbeTarget, probe: Probe = networkProbe) {
    this.#target = target;
    this.#probe = probe;
  }

  /** The balancer of the version now serving: the next round probes its peers. */
  retarget(target: ProbeTarget): void {
    this.#target = target;
  }

  start(): void {
    const checks = this.#target.checks;
    if (checks.healthyInterval > 0) this.#schedule(0, true, checks.healthyInterval);
    if (checks.unhealthyInterval > 0) this.#schedule(1, false, checks.unhealthyInterval);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) if (timer !== undefined) clearTimeout(timer);
  }

  #schedule(slot: number, healthy: boolean, interval: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(async () => {
      await this.#round(healthy);
      this.#schedule(slot, healthy, interval);
    }, interval);
    timer.unref();
    this.#timers[slot] = timer;
  }

  /** Probes the peers in one state, `concurrency` at a time. */
  async #round(healthy: boolean): Promise<void> {
    const target = this.#target;
    const queue = target.peers().filter((peer) => peer.state.healthy === healthy);
    const worker = async () => {
      for (let peer = queue.shift(); peer !== undefined; peer = queue.shift()) {
        const outcome = await this.#probe(peer, target.checks, target.hostFor(peer));
        if (this.#stopped) return;
        target.report(peer, outcome);
      }
    };
    const workers: Promise<void>[] = [];
    for (let i = 0; i < Math.min(target.checks.concurrency, queue.length); i++) workers.push(worker());
    await Promise.all(workers);
  }
}
