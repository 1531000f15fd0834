import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteConfig, RouterProblem } from '../router/index.ts';
import { guardAllows, streamGuards } from './guards.ts';

const route: RouteConfig = { id: 'r', protocols: ['tcp'], service: { id: 's' }, destinations: [{ port: 1 }] };
const ip = (id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  name: 'ip-restriction',
  config,
  ...extra,
});

describe('stream guards', () => {
  it("apply ip-restriction with Kong's precedence: route and service, route, service, global", () => {
    const problems: RouterProblem[] = [];
    const guard = streamGuards(
      route,
      [
        ip('global', { deny: ['0.0.0.0/0'] }),
        ip('service', { deny: ['10.0.0.0/8'] }, { service: { id: 's' } }),
        ip('route', { allow: ['127.0.0.1'] }, { route: { id: 'r' } }),
        ip('other-route', { deny: ['127.0.0.1'] }, { route: { id: 'x' } }),
      ],
      problems,
    );
    assert.ok(guard);
    assert.equal(guardAllows(guard, '127.0.0.1'), true, 'the route instance wins');
    assert.equal(guardAllows(guard, '10.1.1.1'), false, 'not on its allow list');
    assert.deepEqual(problems, []);
  });

  it('deny comes before allow; disabled instances and instances without the protocol do not apply', () => {
    const guard = streamGuards(route, [ip('g', { allow: ['10.0.0.0/8'], deny: ['10.0.0.5'] })], []);
    assert.equal(guardAllows(guard!, '10.0.0.5'), false);
    assert.equal(guardAllows(guard!, '10.0.0.6'), true);
    assert.equal(guardAllows(guard!, '2001:db8::1'), false);
    assert.equal(streamGuards(route, [ip('g', { deny: ['0.0.0.0/0'] }, { enabled: false })], []), undefined);
    assert.equal(
      streamGuards(route, [ip('g', { deny: ['0.0.0.0/0'] }, { protocols: ['http', 'https'] })], []),
      undefined,
    );
  });

  it('report any other plugin on a stream route as a problem instead of skipping it in silence', () => {
    const problems: RouterProblem[] = [];
    streamGuards(
      route,
      [
        { id: 'k', name: 'key-auth', protocols: ['tcp'] },
        { id: 'p', name: 'prometheus' },
      ],
      problems,
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /key-auth.*does not run on streams yet/);
  });
});
