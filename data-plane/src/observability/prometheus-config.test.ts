import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prometheusConfigOf } from './prometheus-config.ts';

const map = (entities: readonly ({ id: string } & Record<string, unknown>)[]) =>
  new Map<string, unknown>(entities.map((e) => [e.id, e]));

describe('prometheusConfigOf', () => {
  it('applies route over service over global, skips disabled instances, and reads usernames', () => {
    const content = new Map<string, Map<string, unknown>>([
      [
        'plugins',
        map([
          { id: 'g', name: 'prometheus', config: { status_code_metrics: true } },
          { id: 's', name: 'prometheus', service: { id: 'svc' }, config: { latency_metrics: true } },
          {
            id: 'r',
            name: 'prometheus',
            route: { id: 'r2' },
            config: { bandwidth_metrics: true, upstream_health_metrics: true },
          },
          { id: 'off', name: 'prometheus', route: { id: 'r3' }, enabled: false, config: {} },
          { id: 'k', name: 'key-auth', config: {} },
        ]),
      ],
      [
        'routes',
        map([{ id: 'r1', service: { id: 'svc' } }, { id: 'r2', service: { id: 'svc' } }, { id: 'r3' }]),
      ],
      ['consumers', map([{ id: 'c1', username: 'alice' } as { id: string }])],
    ]);
    const config = prometheusConfigOf(content);
    assert.equal(config.enabled, true);
    assert.equal(config.byRoute.get('r1')?.latency_metrics, true, 'the service instance');
    assert.equal(config.byRoute.get('r1')?.status_code_metrics, false);
    assert.equal(config.byRoute.get('r2')?.bandwidth_metrics, true, 'the route instance');
    assert.equal(
      config.byRoute.get('r3')?.status_code_metrics,
      true,
      'the global one: the route’s is disabled',
    );
    assert.equal(config.upstreamHealth, true);
    assert.equal(config.consumers.get('c1'), 'alice');
  });

  it('measures nothing without an enabled instance', () => {
    const content = new Map([['plugins', map([{ id: 'k', name: 'key-auth' } as { id: string }])]]);
    assert.equal(prometheusConfigOf(content).enabled, false);
    assert.equal(prometheusConfigOf(undefined).byRoute.size, 0);
  });
});
