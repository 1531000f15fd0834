import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordingUpstream, route, service, testProxy } from './proxy-fixtures.ts';

describe('runtime swap', () => {
  it('lets in-flight requests finish on the runtime they started with, and routes new ones on the next', async () => {
    const held: (() => void)[] = [];
    await using upstream = await recordingUpstream((_req, res) => {
      held.push(() => res.end('old'));
    });
    await using proxy = await testProxy([service(upstream.port)], [route({ paths: ['/old'] })]);
    const inFlight = Array.from({ length: 20 }, () => fetch(proxy.url('/old')));
    while (upstream.received.length < inFlight.length) await upstream.next();

    // The next version drops the route those requests matched.
    proxy.apply([service(upstream.port)], [route({ id: 'new', paths: ['/new'] })]);
    for (const release of held) release();
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      answers.map((r) => r.status),
      inFlight.map(() => 200),
    );
    assert.deepEqual(
      await Promise.all(answers.map((r) => r.text())),
      inFlight.map(() => 'old'),
    );
    assert.equal(proxy.holder.current.version, 2);
    assert.equal((await fetch(proxy.url('/old'))).status, 404);
  });

  it('fails no request while versions are swapped under load', async () => {
    await using upstream = await recordingUpstream((_req, res) => res.end('ok'));
    await using proxy = await testProxy([service(upstream.port)], [route()]);
    let version = 1;
    let swapping = true;
    const swapper = (async () => {
      while (swapping) {
        version++;
        proxy.apply([service(upstream.port)], [route({ id: `r${version}` })], version);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(Array.from({ length: 30 }, () => fetch(proxy.url('/x'))));
      for (const res of batch) {
        statuses.push(res.status);
        await res.text();
      }
    }
    swapping = false;
    await swapper;
    assert.ok(version > 10, 'versions were swapped while requests ran');
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
    );
  });
});
