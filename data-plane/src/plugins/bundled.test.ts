import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlugins } from '@turnpike/shared/plugins';
import { BUNDLED_PLUGINS, BUNDLED_PLUGINS_DIR } from './bundled.ts';

describe('bundled plugins', () => {
  it("load through the same loader as custom ones, with Kong's priorities", async () => {
    const loaded = await loadPlugins({
      enabled: ['bundled'],
      pluginPaths: [],
      bundledDir: BUNDLED_PLUGINS_DIR,
      bundled: BUNDLED_PLUGINS,
      want: 'handler+schema',
    });
    const priorities = Object.fromEntries([...loaded.plugins].map(([n, p]) => [n, p.handler?.priority]));
    assert.deepEqual(priorities, {
      'correlation-id': 100001,
      'bot-detection': 2500,
      cors: 2000,
      jwt: 1450,
      oauth2: 1400,
      'key-auth': 1250,
      'basic-auth': 1100,
      'hmac-auth': 1030,
      'ip-restriction': 990,
      'request-size-limiting': 951,
      acl: 950,
      'rate-limiting': 910,
      'response-ratelimiting': 900,
      'request-transformer': 801,
      'response-transformer': 800,
      'proxy-cache': 100,
      prometheus: 13,
      'http-log': 12,
      opentelemetry: 14,
      zipkin: 100000,
      'file-log': 9,
      'tcp-log': 7,
      'udp-log': 8,
      statsd: 11,
      syslog: 4,
      'request-termination': 2,
      'grpc-gateway': 998,
      'grpc-web': 3,
    });
  });
});
