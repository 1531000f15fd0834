import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '../config/build.ts';
import { ConfigInvalidError } from '../errors.ts';
import { clusterTlsFromConfig } from './from-config.ts';

describe('clusterTlsFromConfig', () => {
  it('reports every unreadable file, in key order, each with where it was set', async () => {
    const env = {
      TURNPIKE_ROLE: 'data_plane',
      TURNPIKE_CLUSTER_CERT: '/nonexistent/absent.crt',
      TURNPIKE_CLUSTER_CERT_KEY: '/nonexistent/absent.key',
    };
    const { config, sources } = buildConfig({ env, cwd: '/srv' });
    const error = await clusterTlsFromConfig(config, sources).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(error instanceof ConfigInvalidError);
    assert.deepEqual(error.problems, [
      {
        key: 'cluster_cert',
        source: 'TURNPIKE_CLUSTER_CERT',
        message: "cannot read '/nonexistent/absent.crt': ENOENT",
      },
      {
        key: 'cluster_cert_key',
        source: 'TURNPIKE_CLUSTER_CERT_KEY',
        message: "cannot read '/nonexistent/absent.key': ENOENT",
      },
    ]);
  });
});
