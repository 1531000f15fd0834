import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PluginInstance, precedenceRank, resolveRoutePlugins } from './precedence.ts';

const R = 'route-1';
const S = 'service-1';
const C = 'consumer-1';

function instance(
  id: string,
  scope: { route?: string; service?: string; consumer?: string; enabled?: boolean },
): PluginInstance {
  return {
    id,
    name: 'p',
    enabled: scope.enabled ?? true,
    route: scope.route === undefined ? null : { id: scope.route },
    service: scope.service === undefined ? null : { id: scope.service },
    consumer: scope.consumer === undefined ? null : { id: scope.consumer },
  };
}

describe('plugin precedence', () => {
  it("ranks the eight scopes in Kong's order", () => {
    const ranks = [
      instance('a', { consumer: C, route: R, service: S }),
      instance('b', { consumer: C, route: R }),
      instance('c', { consumer: C, service: S }),
      instance('d', { route: R, service: S }),
      instance('e', { consumer: C }),
      instance('f', { route: R }),
      instance('g', { service: S }),
      instance('h', {}),
    ].map((i) => precedenceRank(i, R, S));
    assert.deepEqual(ranks, [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('ignores instances scoped to another route or service', () => {
    assert.equal(precedenceRank(instance('x', { route: 'other' }), R, S), 0);
    assert.equal(precedenceRank(instance('x', { service: 'other' }), R, S), 0);
    assert.equal(precedenceRank(instance('x', { route: R, service: 'other' }), R, S), 0);
  });

  it('applies exactly one instance per plugin name: the most specific', () => {
    const [resolved] = resolveRoutePlugins(
      [instance('global', {}), instance('service', { service: S }), instance('route', { route: R })],
      R,
      S,
    );
    assert.equal(resolved?.base?.id, 'route');
    assert.equal(resolved?.global?.id, 'global');
  });

  it('skips disabled instances, so the next most specific one applies', () => {
    const [resolved] = resolveRoutePlugins(
      [instance('global', {}), instance('route', { route: R, enabled: false })],
      R,
      S,
    );
    assert.equal(resolved?.base?.id, 'global');
  });

  it('keeps consumer-scoped instances apart, to be chosen once the consumer is known', () => {
    const [resolved] = resolveRoutePlugins(
      [instance('route', { route: R }), instance('consumer+route', { consumer: C, route: R })],
      R,
      S,
    );
    assert.equal(resolved?.base?.id, 'route');
    assert.equal(resolved?.byConsumer?.get(C)?.id, 'consumer+route');
  });

  it('lets a route+service instance beat a consumer-only one, as Kong orders them', () => {
    const [resolved] = resolveRoutePlugins(
      [instance('route+service', { route: R, service: S }), instance('consumer', { consumer: C })],
      R,
      S,
    );
    assert.equal(resolved?.byConsumer?.get(C)?.id, 'route+service');
    const [routeOnly] = resolveRoutePlugins(
      [instance('route', { route: R }), instance('consumer', { consumer: C })],
      R,
      S,
    );
    assert.equal(routeOnly?.byConsumer?.get(C)?.id, 'consumer');
  });

  it('resolves nothing for a route no instance applies to', () => {
    assert.deepEqual(resolveRoutePlugins([instance('x', { route: 'other' })], R, S), []);
  });
});
