import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  environmentOf,
  localiseEnvironment,
  localiseListen,
  publishedPorts,
  secretMounts,
  startOrder,
  withListenDefaults,
} from './compose.ts';
import { parseDockerfile, parseEnvInstruction } from './dockerfile.ts';

describe('reading a compose file', () => {
  test('environment is read from a map or a list, numbers as strings', () => {
    assert.deepEqual(environmentOf({ environment: { A: 1, B: 'x', C: null } }), { A: '1', B: 'x' });
    assert.deepEqual(environmentOf({ environment: ['A=1', 'B=x=y'] }), { A: '1', B: 'x=y' });
  });

  test('secrets mount at /run/secrets/<target> unless the target is absolute', () => {
    const mounts = secretMounts({
      secrets: ['a', { source: 'b', target: 'c' }, { source: 'd', target: '/x/d' }],
    });
    assert.deepEqual(
      [...mounts],
      [
        ['/run/secrets/a', 'a'],
        ['/run/secrets/c', 'b'],
        ['/x/d', 'd'],
      ],
    );
  });

  test('the start order puts dependencies first and leaves out services behind a profile', () => {
    const order = startOrder({
      services: {
        app: {
          depends_on: {
            db: { condition: 'service_healthy' },
            job: { condition: 'service_completed_successfully' },
          },
        },
        job: { depends_on: ['db'] },
        db: {},
        setup: { profiles: ['setup'] },
      },
    });
    assert.deepEqual(order, ['db', 'job', 'app']);
    assert.throws(
      () => startOrder({ services: { a: { depends_on: ['b'] }, b: { depends_on: ['a'] } } }),
      /cycle/,
    );
  });

  test('published ports give the host part, a range included', () => {
    assert.deepEqual(publishedPorts({ ports: ['127.0.0.1:8001:8001', '18000-18009:8000', 8005] }), [
      { host: '8001', container: 8001 },
      { host: '18000-18009', container: 8000 },
      { host: '', container: 8005 },
    ]);
  });
});

describe('mapping a container environment onto this machine', () => {
  test('listen values move to 127.0.0.1 and their mapped ports, keeping the flags', () => {
    const ports = new Map([
      [8000, 41000],
      [8443, 41443],
    ]);
    assert.equal(
      localiseListen('0.0.0.0:8000 reuseport, 0.0.0.0:8443 http2 ssl', ports),
      '127.0.0.1:41000 reuseport, 127.0.0.1:41443 http2 ssl',
    );
    assert.equal(localiseListen('off', ports), 'off');
    assert.throws(() => localiseListen('0.0.0.0:9999', ports), /9999/);
  });

  test('paths under a mount, service addresses and overridden names are replaced; the rest is kept', () => {
    const env = withListenDefaults({
      TURNPIKE_CLUSTER_CERT: '/run/secrets/cluster_cert',
      TURNPIKE_PREFIX: '/var/lib/turnpike/dp',
      TURNPIKE_CLUSTER_CONTROL_PLANE: 'control-plane:8005',
      TURNPIKE_DATABASE: 'postgres',
      TURNPIKE_PG_PORT: '5432',
    });
    assert.ok(env.TURNPIKE_PROXY_LISTEN?.includes(':8000'), 'defaults made explicit');
    const ports = new Map([8000, 8443, 8001, 8444, 8002, 8005, 8100].map((p) => [p, p + 30000]));
    const local = localiseEnvironment(env, {
      mounts: new Map([
        ['/run/secrets/cluster_cert', '/tmp/s/cluster.crt'],
        ['/var/lib/turnpike', '/tmp/p'],
      ]),
      hosts: new Map([['control-plane:8005', '127.0.0.1:45005']]),
      ports,
      overrides: { TURNPIKE_PG_PORT: '6543' },
    });
    assert.equal(local.TURNPIKE_CLUSTER_CERT, '/tmp/s/cluster.crt');
    assert.equal(local.TURNPIKE_PREFIX, '/tmp/p/dp');
    assert.equal(local.TURNPIKE_CLUSTER_CONTROL_PLANE, '127.0.0.1:45005');
    assert.equal(local.TURNPIKE_DATABASE, 'postgres');
    assert.equal(local.TURNPIKE_PG_PORT, '6543');
    assert.match(local.TURNPIKE_PROXY_LISTEN ?? '', /^127\.0\.0\.1:38000 /);
  });
});

describe('reading a Dockerfile', () => {
  test('stages carry their ENV (continuation lines, quotes), USER and exec forms', () => {
    const [build, run] = parseDockerfile(
      [
        'ARG V=1',
        'FROM node:24 AS build',
        'RUN echo hi',
        '# a comment',
        'FROM scratch AS run',
        'ENV A=1 \\',
        '    B="two words" \\',
        '    C=/x',
        'USER 65532:65532',
        'EXPOSE 8000 8443',
        'STOPSIGNAL SIGQUIT',
        'HEALTHCHECK --interval=10s CMD ["node", "x.ts", "health"]',
        'ENTRYPOINT ["node", "x.ts"]',
        'CMD start',
      ].join('\n'),
    );
    assert.equal(build?.name, 'build');
    assert.deepEqual(run?.env, { A: '1', B: 'two words', C: '/x' });
    assert.equal(run?.user, '65532:65532');
    assert.deepEqual(run?.expose, ['8000', '8443']);
    assert.equal(run?.stopSignal, 'SIGQUIT');
    assert.deepEqual(run?.healthcheck, { options: ['--interval=10s'], cmd: ['node', 'x.ts', 'health'] });
    assert.deepEqual(run?.entrypoint, ['node', 'x.ts']);
    assert.deepEqual(run?.cmd, ['/bin/sh', '-c', 'start'], 'a shell form is shown as what it runs');
  });

  test('the legacy `ENV KEY value` form is read too', () => {
    assert.deepEqual(parseEnvInstruction('KEY some value'), { KEY: 'some value' });
  });
});
