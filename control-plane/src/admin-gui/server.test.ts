import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadAssets } from './assets.ts';
import type { CspSettings } from './origins.ts';
import { adminGuiHandler } from './server.ts';

let dir: string;
let base: string;
let close: () => Promise<void>;
const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

async function serve(
  assetsDir: string,
  csp: CspSettings = { enabled: true },
): Promise<{ url: string; close: () => Promise<void> }> {
  const handler = adminGuiHandler(await loadAssets(assetsDir), {
    apiUrl: undefined,
    ports: { http: 8001, https: undefined },
    version: '0.1.0',
    csp,
  });
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-gui-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>',
  );
  await writeFile(join(dir, 'assets/index-abc123.js'), script);
  await writeFile(join(dir, 'favicon.svg'), '<svg/>');
  ({ url: base, close } = await serve(dir));
});
after(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

describe('the Admin GUI listener', () => {
  it('serves hashed assets as immutable and index.html as no-cache, with the CSP on both', async () => {
    const asset = await fetch(`${base}/assets/index-abc123.js`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(await asset.text(), script);
    const index = await fetch(`${base}/`);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(
      index.headers.get('content-security-policy') ?? '',
      /connect-src 'self' http:\/\/127\.0\.0\.1:8001;/,
    );
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  });

  it('answers the GUI’s own routes with the app, and a missing file with a 404', async () => {
    const route = await fetch(`${base}/services/abc?x=1`);
    assert.equal(route.status, 200);
    assert.match(await route.text(), /index-abc123\.js/);
    assert.equal((await fetch(`${base}/assets/missing-123.js`)).status, 404);
    assert.equal((await fetch(`${base}/..%2f..%2fetc%2fpasswd.txt`)).status, 404);
  });

  it('tells the GUI where the Admin API is, uncached', async () => {
    const res = await fetch(`${base}/kconfig.json`);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), {
      admin_api_url: null,
      admin_api_port: 8001,
      admin_api_ssl_port: null,
      version: '0.1.0',
    });
  });

  it('compresses text assets for clients that accept gzip', async () => {
    const res = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      get(`${base}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    assert.equal(res.encoding, 'gzip');
    assert.equal(gunzipSync(res.body).toString(), script);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await fetch(`${base}/`, { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  });

  it('sends no CSP with admin_gui_csp_header off, the configured one on every answer with a value', async () => {
    const off = await serve(dir, { enabled: false });
    const custom = await serve(dir, {
      enabled: true,
      value: "default-src 'self'; connect-src http://$host:8001",
    });
    try {
      const res = await fetch(`${off.url}/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-security-policy'), null);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', 'the other hardening headers stay');
      for (const path of ['/', '/kconfig.json', '/assets/index-abc123.js', '/missing.txt']) {
        const answer = await fetch(`${custom.url}${path}`);
        assert.equal(
          answer.headers.get('content-security-policy'),
          "default-src 'self'; connect-src http://127.0.0.1:8001",
          path,
        );
      }
    } finally {
      await off.close();
      await custom.close();
    }
  });

  it('says how to build the GUI when its assets are missing', async () => {
    const empty = await serve(join(dir, 'nothing-here'));
    try {
      const res = await fetch(`${empty.url}/`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /pnpm --filter @turnpike\/admin-gui build/);
    } finally {
      await empty.close();
    }
  });
});
