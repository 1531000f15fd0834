import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dispatcher } from 'undici';
import type { ServiceDispatch } from '../runtime/types.ts';
import { type FailureStatus, UpstreamAttempts } from './attempts.ts';
import type { HashRequest } from './hash-value.ts';
import type { Peer } from './peer.ts';
import { BalancerRegistry } from './registry.ts';
import { NO_PEER_BODY, ServiceBalancer } from './service-balancer.ts';
import { serving, target, up } from './test-support.ts';
import type { UpstreamConfig } from './types.ts';

const err = (code: string) => Object.assign(new Error(code), { code });
const REFUSED = () => err('ECONNREFUSED');

const NO_DISPATCHERS = {
  dispatcherFor(): Dispatcher {
    throw new Error('the machine never asks for a pool: the protocol does');
  },
};

/** A protocol that records what the machine asks of it. */
class RecordingCall extends UpstreamAttempts {
  readonly sent: (Peer | undefined)[] = [];
  readonly answered: [FailureStatus, Buffer | undefined][] = [];

  start(request: HashRequest = request_()): void {
    this.begin(request);
  }
  protected sendAttempt(peer: Peer | undefined): void {
    this.sent.push(peer);
  }
  protected answerFailure(status: FailureStatus, body: Buffer | undefined): void {
    this.answered.push([status, body]);
  }
  connect(): void {
    this.connected();
  }
  fail(error: unknown): void {
    this.failed(error);
  }
  respond(status: number): void {
    this.responded(status);
  }
  release(): void {
    this.released();
  }
}

function request_(consumerId?: string): HashRequest {
  return { headers: {}, clientIp: '192.0.2.1', path: '/', query: '', uriCaptures: undefined, consumerId };
}

function dispatchOn(upstream: UpstreamConfig | undefined, retries = 5, targets = 3): ServiceDispatch {
  const service = { id: 's', protocol: 'http', host: 'backend', port: 80 } as const;
  let balancer: ServiceBalancer | undefined;
  if (upstream !== undefined) {
    const balancers = serving(new BalancerRegistry())(
      [upstream],
      Array.from({ length: targets }, (_, i) => target(`10.0.0.${i + 1}:80`)),
    );
    balancer = new ServiceBalancer(balancers.get('u1')!, service, 1000, NO_DISPATCHERS);
  }
  return {
    service,
    dispatcher: {} as Dispatcher,
    balancer,
    connectTimeout: 1000,
    writeTimeout: 1000,
    readTimeout: 1000,
    retries,
    tls: undefined,
  };
}

const inFlight = (dispatch: ServiceDispatch) =>
  dispatch.balancer!.upstream.peers().reduce((n, p) => n + p.state.active, 0);

describe('the upstream-attempt machine', () => {
  it('retries a failed connect on another peer, `retries` times, then answers 502', () => {
    const dispatch = dispatchOn(up({ healthchecks: { passive: { unhealthy: { tcp_failures: 10 } } } }), 2);
    const call = new RecordingCall(dispatch);
    call.start();
    assert.equal(inFlight(dispatch), 1);
    call.fail(REFUSED());
    call.fail(REFUSED());
    call.fail(REFUSED());
    assert.equal(call.sent.length, 3, 'one attempt and two retries');
    for (let i = 1; i < call.sent.length; i++) assert.notEqual(call.sent[i], call.sent[i - 1]);
    assert.deepEqual(call.answered, [[502, undefined]]);
    assert.equal(inFlight(dispatch), 0);
    const tcp = dispatch.balancer!.upstream.peers().reduce((n, p) => n + p.state.tcpFailures, 0);
    assert.equal(tcp, 3, 'every failed attempt counted for passive checks');
  });

  it('never retries an attempt the protocol reported connected', () => {
    const dispatch = dispatchOn(up());
    const call = new RecordingCall(dispatch);
    call.start();
    call.connect();
    call.fail(REFUSED());
    assert.equal(call.sent.length, 1);
    assert.deepEqual(call.answered, [[502, undefined]]);
  });

  it('answers 504 for a timeout, counted as one, and never retries what may have reached the upstream', () => {
    const dispatch = dispatchOn(up({ healthchecks: { passive: { unhealthy: { timeouts: 1 } } } }));
    const call = new RecordingCall(dispatch);
    call.start();
    const peer = call.sent[0]!;
    call.fail(err('UND_ERR_HEADERS_TIMEOUT'));
    assert.deepEqual(call.answered, [[504, undefined]]);
    assert.equal(peer.state.healthy, false, 'one timeout makes it unhealthy here');

    const reset = new RecordingCall(dispatchOn(up()));
    reset.start();
    reset.fail(err('UND_ERR_SOCKET'));
    assert.equal(reset.sent.length, 1);
    assert.deepEqual(reset.answered, [[502, undefined]]);
  });

  it("answers 503 with Kong's body when no peer can take the request", () => {
    const dispatch = dispatchOn(up({ healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } }), 5, 1);
    const call = new RecordingCall(dispatch);
    call.start();
    call.fail(REFUSED());
    // The only peer is now unhealthy: the retry finds none.
    assert.deepEqual(call.answered, [[503, NO_PEER_BODY]]);
    assert.equal(call.sent.length, 1);
  });

  it('counts the status the upstream answered and its latency, and releases the peer once', () => {
    const dispatch = dispatchOn(
      up({ healthchecks: { passive: { unhealthy: { http_failures: 1, http_statuses: [500] } } } }),
    );
    const call = new RecordingCall(dispatch);
    call.start();
    const peer = call.sent[0]!;
    call.respond(500);
    assert.equal(peer.state.healthy, false);
    assert.ok(peer.state.ewmaAt > 0, 'latency observed');
    call.release();
    call.release();
    assert.equal(inFlight(dispatch), 0);
  });

  it('hashes the request once, before the first attempt: one consumer, one peer', () => {
    const hashing = up({ algorithm: 'consistent-hashing', hash_on: 'consumer' });
    const dispatch = dispatchOn(hashing);
    const peers = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const call = new RecordingCall(dispatch);
      call.start(request_('00000000-0000-4000-8000-0000000000c1'));
      peers.add(call.sent[0]!.key);
      call.release();
    }
    assert.equal(peers.size, 1);
    const spread = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const call = new RecordingCall(dispatch);
      call.start(request_(`consumer-${i}`));
      spread.add(call.sent[0]!.key);
      call.release();
    }
    assert.ok(spread.size > 1, 'other consumers land elsewhere');
  });

  it('sends every attempt of a service without an Upstream to its own host', () => {
    const call = new RecordingCall(dispatchOn(undefined, 1));
    call.start();
    call.fail(REFUSED());
    call.fail(REFUSED());
    assert.deepEqual(call.sent, [undefined, undefined]);
    assert.deepEqual(call.answered, [[502, undefined]]);
  });
});
