/**
 * Files of the declarative corpus (test/fixtures/declarative) acting on traffic: each is parsed
 * and imported as `turnpike config db_import` does, synced as a snapshot (plugin-fixtures.ts) and
 * served by a proxy in this process; the requests are ones its plugins answer themselves, so the
 * file's own upstream hosts are never needed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { importDeclarative, parseDeclarative } from '@turnpike/control-plane/declarative';
import { ConfigApplier } from '@turnpike/data-plane/config';
import { DEFAULT_SETTINGS, type RunningProxy, startProxy } from '@turnpike/data-plane/proxy';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import type { PluginHandler } from '@turnpike/plugin-sdk';
import { createLogger } from '@turnpike/shared';
import type { LoadedPlugins } from '@turnpike/shared/plugins';
import { REPO_ROOT } from '../helpers/turnpike.ts';
import { bundledPlugins, syncedStore } from './plugin-fixtures.ts';
import { send } from './proxy-fixtures.ts';

const DIR = join(REPO_ROOT, 'test/fixtures/declarative');
const log = createLogger({ level: 'silent' });

interface FileProxy extends AsyncDisposable {
  readonly port: number;
}

async function serveFile(plugins: LoadedPlugins, file: string): Promise<FileProxy> {
  const text = await readFile(join(DIR, file), 'utf8');
  let config: Awaited<ReturnType<Awaited<ReturnType<typeof syncedStore>>['snapshot']>>;
  {
    await using store = await syncedStore(plugins.schemas);
    await importDeclarative(
      store.dao,
      parseDeclarative(text, { filename: file, pluginSchemas: plugins.schemas }),
    );
    config = await store.snapshot();
  }
  const handlers = new Map<string, PluginHandler>();
  for (const [name, loaded] of plugins.plugins)
    if (loaded.handler !== undefined) handlers.set(name, loaded.handler);
  const pools = new UpstreamPools();
  const applier = new ConfigApplier({
    dispatchers: pools,
    plugins: { handlers, schemas: plugins.schemas, log },
  });
  assert.deepEqual(applier.apply(config).problems, []);
  const proxy: RunningProxy = await startProxy({
    listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
    holder: applier.runtime,
    settings: DEFAULT_SETTINGS,
    log,
  });
  return {
    port: proxy.ports[0]!,
    async [Symbol.asyncDispose]() {
      await proxy.stop('now', Date.now());
      await pools.close();
    },
  };
}

describe('corpus files acting on traffic', () => {
  let plugins: LoadedPlugins;
  before(async () => {
    plugins = await bundledPlugins();
  });

  describe('food-delivery-3.0.yml: a global cors', () => {
    let proxy: FileProxy;
    before(async () => {
      proxy = await serveFile(plugins, 'food-delivery-3.0.yml');
    });
    after(() => proxy?.[Symbol.asyncDispose]());

    it("adds its origin and credentials to the jwt plugin's 401 on a route without a token", async () => {
      const res = await send(proxy.port, '/api/v1/orders', { origin: 'http://localhost:3000' });
      assert.equal(res.status, 401);
      assert.deepEqual(JSON.parse(res.body), { message: 'Unauthorized' });
      assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:3000');
      assert.equal(res.headers['access-control-allow-credentials'], 'true');
      assert.equal(res.headers.vary, 'Origin');
    });

    it('never matches a preflight: its routes take no OPTIONS (Kong answers 404 too)', async () => {
      const preflight = { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' };
      assert.equal((await send(proxy.port, '/api/v1/orders', preflight, 'OPTIONS')).status, 404);
    });
  });
});
