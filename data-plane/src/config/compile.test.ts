import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dispatcher } from 'undici';
import type { DispatcherSource, ProxyServiceConfig } from '../runtime/index.ts';
import { compileRuntime, SERVICE_DEFAULTS } from './compile.ts';
import { RuntimeHolder } from './holder.ts';

function fakeDispatchers(): DispatcherSource & { asked: [string, number][] } {
  const asked: [string, number][] = [];
  return {
    asked,
    dispatcherFor(service: ProxyServiceConfig, connectTimeout: number): Dispatcher {
      asked.push([service.id, connectTimeout]);
      return { id: service.id } as unknown as Dispatcher;
    },
  };
}

const SVC: ProxyServiceConfig = { id: 's', protocol: 'http', host: 'h', port: 80 };

describe('compileRuntime', () => {
  it("applies Kong's service defaults for timeouts and retries", () => {
    const runtime = compileRuntime(
      { version: 1, services: [SVC], routes: [] },
      { dispatchers: fakeDispatchers() },
    );
    const dispatch = runtime.services.get('s')!;
    assert.equal(dispatch.connectTimeout, SERVICE_DEFAULTS.connect_timeout);
    assert.equal(dispatch.readTimeout, 60_000);
    assert.equal(dispatch.writeTimeout, 60_000);
    assert.equal(dispatch.retries, 5);
  });

  it('keeps configured timeouts, retries 0 included, and asks for a dispatcher with the connect timeout', () => {
    const dispatchers = fakeDispatchers();
    const runtime = compileRuntime(
      { version: 1, services: [{ ...SVC, connect_timeout: 10, read_timeout: 20, retries: 0 }], routes: [] },
      { dispatchers },
    );
    const dispatch = runtime.services.get('s')!;
    assert.equal(dispatch.readTimeout, 20);
    assert.equal(dispatch.retries, 0);
    assert.deepEqual(dispatchers.asked, [['s', 10]]);
  });

  it('reports services with a protocol it cannot proxy and leaves them out', () => {
    const runtime = compileRuntime(
      { version: 1, services: [{ ...SVC, protocol: 'tls_passthrough' }], routes: [] },
      { dispatchers: fakeDispatchers() },
    );
    assert.equal(runtime.services.size, 0);
    assert.match(runtime.problems[0]!.message, /tls_passthrough/);
  });

  it('notes whether any route matches on headers', () => {
    const dispatchers = fakeDispatchers();
    const plain = compileRuntime(
      { version: 1, services: [SVC], routes: [{ id: 'r', paths: ['/'], service: { id: 's' } }] },
      { dispatchers },
    );
    const withHeaders = compileRuntime(
      { version: 2, services: [SVC], routes: [{ id: 'r', headers: { 'x-v': ['1'] }, service: { id: 's' } }] },
      { dispatchers },
    );
    assert.equal(plain.matchesHeaders, false);
    assert.equal(withHeaders.matchesHeaders, true);
  });
});

describe('RuntimeHolder', () => {
  it('swaps the whole runtime in one assignment and returns the previous one', () => {
    const dispatchers = fakeDispatchers();
    const first = compileRuntime({ version: 1, services: [], routes: [] }, { dispatchers });
    const second = compileRuntime({ version: 2, services: [], routes: [] }, { dispatchers });
    const holder = new RuntimeHolder(first);
    const seen = holder.current;
    assert.equal(holder.swap(second), first);
    assert.equal(holder.current, second);
    assert.equal(seen.version, 1);
  });
});
