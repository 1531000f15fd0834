/**
 * The Admin GUI in a real browser (Debian's Chromium through playwright-core) against a real
 * control plane on PostgreSQL and real data plane processes: what a person does in the GUI is
 * checked where it matters, through the data planes' proxy and the Admin API.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before, describe, test as nodeTest } from 'node:test';
import type { Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { launchBrowser, screenshots, type TestBrowser } from '../helpers/browser.ts';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  type DataPlaneNode,
  genClusterCert,
  startControlPlaneNode,
  startDataPlaneNode,
} from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { issueCertificate, makeAuthority } from '../helpers/pki.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { runTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type EchoUpstream, startEchoUpstream } from '../helpers/upstream.ts';

const TOKEN = 'gui-test-token-0123456789';
const MAIN_PAGES = [
  '/cluster',
  '/services',
  '/routes',
  '/consumers',
  '/plugins',
  '/upstreams',
  '/certificates',
  '/declarative',
];

let pg: TestPostgres;
let certs: ClusterCerts;
let cp: ControlPlaneNode;
let dp: DataPlaneNode;
let upstream: EchoUpstream;
let browser: TestBrowser;
let gui: string;
let failed = false;

// biome-ignore lint/suspicious/noExplicitAny: Admin API bodies are read loosely in assertions
const admin = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> =>
  http(method, `${cp.adminUrl}${path}`, body, { 'kong-admin-token': TOKEN });

before(async () => {
  pg = await startPostgres();
  certs = await genClusterCert();
  upstream = await startEchoUpstream('gui-upstream');
  const guiPort = await freePort();
  cp = await startControlPlaneNode(await pg.newDatabase(), certs, {
    // The default strict policy, so that the last test's "tripped no CSP" covers every page visited.
    env: {
      TURNPIKE_ADMIN_TOKEN: TOKEN,
      TURNPIKE_ADMIN_GUI_LISTEN: `127.0.0.1:${guiPort}`,
    },
  });
  gui = `http://127.0.0.1:${guiPort}`;
  dp = await startDataPlaneNode(cp.clusterPort, certs);
  browser = await launchBrowser();
});

after(async () => {
  // TURNPIKE_GUI_SCREENSHOTS=always takes them after a passing run too, to look at the pages.
  if ((failed || process.env.TURNPIKE_GUI_SCREENSHOTS === 'always') && browser !== undefined) {
    const files = await screenshots(browser.page, gui, MAIN_PAGES);
    console.log(`admin GUI screenshots:\n${files.join('\n')}`);
  }
  await browser?.[Symbol.asyncDispose]();
  await dp?.[Symbol.asyncDispose]();
  await cp?.[Symbol.asyncDispose]();
  await upstream?.[Symbol.asyncDispose]();
  await certs?.[Symbol.asyncDispose]();
  await pg?.[Symbol.asyncDispose]();
});

/** A test whose failure asks for screenshots of the main pages at the end. */
function test(name: string, fn: () => Promise<void>): void {
  nodeTest(name, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

/** Fills a form field by its label, within the form of `prefix` (`services`, `plugins`…). */
function field(page: Page, prefix: string, path: string) {
  return page.locator(`#${prefix}-${path}`);
}

/** A traditional node of its own with the GUI and a token-protected Admin API, on free ports. */
async function startGuiNode() {
  const [adminPort, guiPort, proxyPort, statusPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const node = await startTurnpike({
    env: {
      TURNPIKE_ADMIN_TOKEN: TOKEN,
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      TURNPIKE_ADMIN_GUI_LISTEN: `127.0.0.1:${guiPort}`,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    },
  });
  assert.ok(node.child.pid);
  const nodeAdmin = (method: string, path: string, body?: unknown) =>
    http(method, `http://127.0.0.1:${adminPort}${path}`, body, { 'kong-admin-token': TOKEN });
  return Object.assign(node, { guiPort, nodeAdmin });
}

describe('the Admin GUI, in Chromium, against a control plane and data planes', () => {
  test('login with a token: refused with a message at the field, then accepted by keyboard alone, never in the URL', async () => {
    const { page } = browser;
    await page.goto(`${gui}/services`);
    const input = page.getByLabel('Admin token');
    await input.fill('wrong-token');
    await input.press('Enter');
    await page.getByText('Invalid credentials').waitFor();
    assert.equal(await input.getAttribute('aria-invalid'), 'true');

    await input.fill('');
    await input.focus();
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
    assert.equal(page.url().includes(TOKEN), false, 'the token is never in the URL');
    assert.equal(await page.evaluate("sessionStorage.getItem('turnpike.admin_token')"), TOKEN);

    // The same tab keeps its session over a reload; a new tab (new session storage) asks again.
    await page.reload();
    await page.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
    const other = await browser.context.newPage();
    await other.goto(`${gui}/services`);
    await other.getByLabel('Admin token').waitFor();
    await other.close();
  });

  test('create a service and a route in forms, then the route answers through the proxy', async () => {
    const { page } = browser;
    await page.goto(`${gui}/services/new`);
    const port = new URL(upstream.url).port;
    await field(page, 'services', 'name').fill('gui-svc');
    await field(page, 'services', 'host').fill('127.0.0.1');
    await field(page, 'services', 'port').fill(port);
    await page.getByRole('button', { name: 'Create service' }).click();
    await page.getByRole('heading', { name: 'service gui-svc' }).waitFor();

    // A route, from the service's own page.
    await page.getByRole('region', { name: 'Routes' }).getByRole('button', { name: 'Add' }).click();
    await field(page, 'new-routes', 'name').fill('gui-route');
    await field(page, 'new-routes', 'paths').fill('/gui');
    await page.getByRole('button', { name: 'Add to routes' }).click();
    await page.getByRole('link', { name: 'gui-route' }).waitFor();

    const res = await eventually(
      () => http('GET', `${dp.proxyUrl}/gui/hello`),
      (r) => r.status === 200,
    );
    assert.equal((res.body as { upstream?: string }).upstream, 'gui-upstream');
  });

  test('a validation error is shown beside the field Kong names, and nothing is created', async () => {
    const { page } = browser;
    await page.goto(`${gui}/services/new`);
    await field(page, 'services', 'name').fill('bad-port');
    await field(page, 'services', 'host').fill('example.test');
    await field(page, 'services', 'port').fill('99999');
    await page.getByRole('button', { name: 'Create service' }).click();
    const error = page.locator('[data-field="port"] .field-error');
    await error.waitFor();
    assert.match(String(await error.textContent()), /value should be between 0 and 65535/);
    assert.equal(await field(page, 'services', 'port').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('[data-field="host"] .field-error').count(), 0, 'only the field named');
    assert.equal(
      await page.evaluate('document.activeElement?.id'),
      'services-port',
      'focus moves to the field',
    );
    assert.equal((await admin('GET', '/services/bad-port')).status, 404);
  });

  test('add key-auth with the form generated from its schema, and the proxy answers 401', async () => {
    const { page } = browser;
    await page.goto(`${gui}/plugins/new`);
    await page.getByLabel('Plugin', { exact: true }).selectOption('key-auth');
    const service = field(page, 'plugins', 'service');
    await service.waitFor();
    await service.selectOption({ label: 'gui-svc' });
    await page.getByRole('group', { name: 'config' }).waitFor();
    await page.getByRole('button', { name: 'Create plugin' }).click();
    await page.getByRole('heading', { name: /^plugin / }).waitFor();

    const res = await eventually(
      () => http('GET', `${dp.proxyUrl}/gui/hello`),
      (r) => r.status === 401,
    );
    assert.match(res.text, /No API key found in request/);
  });

  test("nested entities edited in place from the parent's page: a consumer's key, a service's route", async () => {
    const { page } = browser;
    const consumer = await admin('POST', '/consumers', { username: 'gui-editor' });
    assert.equal(consumer.status, 201);
    assert.equal((await admin('POST', '/consumers/gui-editor/key-auth', { key: 'old-key' })).status, 201);
    await page.goto(`${gui}/consumers/${consumer.body.id}`);
    const keys = page.getByRole('region', { name: 'Key-auth credentials' });
    await keys.getByRole('button', { name: 'Edit old-key' }).click();
    const key = field(page, 'edit-key-auth', 'key');
    assert.equal(await key.inputValue(), 'old-key', 'the form starts from the stored credential');
    await key.fill('new-key');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await keys.getByRole('cell', { name: 'new-key', exact: true }).waitFor();
    const creds = await admin('GET', '/consumers/gui-editor/key-auth');
    assert.deepEqual(
      creds.body.data.map((c: { key: string }) => c.key),
      ['new-key'],
      'the same credential, changed (PATCH), not a second one',
    );

    // A route, edited from its service's page: a second path, then the proxy answers on it.
    await page.goto(`${gui}/services/gui-svc`);
    const routes = page.getByRole('region', { name: 'Routes' });
    await routes.getByRole('button', { name: 'Edit gui-route' }).click();
    const paths = field(page, 'edit-routes', 'paths');
    assert.equal((await paths.inputValue()).trim(), '/gui');
    await paths.fill('/gui\n/gui-edited');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await routes.getByRole('cell', { name: /gui-edited/ }).waitFor();
    const res = await eventually(
      () => http('GET', `${dp.proxyUrl}/gui-edited/x`, undefined, { apikey: 'new-key' }),
      (r) => r.status === 200,
    );
    assert.equal((res.body as { upstream?: string }).upstream, 'gui-upstream');
    assert.equal((await http('GET', `${dp.proxyUrl}/gui/x`, undefined, { apikey: 'old-key' })).status, 401);

    // A validation error on an in-place edit stays at its field, and nothing changes.
    await routes.getByRole('button', { name: 'Edit gui-route' }).click();
    await field(page, 'edit-routes', 'paths').fill('no-slash');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#edit-routes-form [data-field="paths"] .field-error').waitFor();
    assert.deepEqual((await admin('GET', '/routes/gui-route')).body.paths, ['/gui', '/gui-edited']);
    await page.getByRole('button', { name: 'Cancel edit' }).click();
  });

  test("nested entities edited in place from the parent's page: an upstream's target, a certificate's SNI", async () => {
    const { page } = browser;
    const up = await admin('POST', '/upstreams', { name: 'gui-targets.internal' });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const target = await admin('POST', '/upstreams/gui-targets.internal/targets', {
      target: '127.0.0.1:8080',
      weight: 100,
    });
    assert.equal(target.status, 201, JSON.stringify(target.body));
    await page.goto(`${gui}/upstreams/${up.body.id}`);
    const targets = page.getByRole('region', { name: 'Targets' });
    await targets.getByRole('button', { name: 'Edit 127.0.0.1:8080' }).click();
    const weight = field(page, 'edit-targets', 'weight');
    assert.equal(await weight.inputValue(), '100', 'the form starts from the stored target');
    await weight.fill('25');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await targets.getByRole('cell', { name: '25', exact: true }).waitFor();
    const stored = (await admin('GET', '/upstreams/gui-targets.internal/targets')).body.data as {
      id: string;
      weight: number;
      upstream: { id: string };
    }[];
    assert.deepEqual(
      stored.map((t) => [t.id, t.weight, t.upstream.id]),
      [[target.body.id, 25, up.body.id]],
      'the same target, changed (PATCH), still under its upstream',
    );

    // A weight Kong refuses: the message at its field, the stored target unchanged.
    await targets.getByRole('button', { name: 'Edit 127.0.0.1:8080' }).click();
    await field(page, 'edit-targets', 'weight').fill('70000');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#edit-targets-form [data-field="weight"] .field-error').waitFor();
    assert.equal(
      (await admin('GET', `/upstreams/gui-targets.internal/targets/${target.body.id}`)).body.weight,
      25,
    );
    await page.getByRole('button', { name: 'Cancel edit' }).click();

    // A certificate's SNI, renamed from the certificate's page.
    const ca = await makeAuthority('gui-test-ca');
    const pair = await issueCertificate(ca, 'old.gui.test', ['old.gui.test', 'new.gui.test']);
    const cert = await admin('POST', '/certificates', {
      cert: pair.certPem,
      key: pair.keyPem,
      snis: ['old.gui.test'],
    });
    assert.equal(cert.status, 201, JSON.stringify(cert.body));
    const sniId = (await admin('GET', '/snis/old.gui.test')).body.id as string;
    await page.goto(`${gui}/certificates/${cert.body.id}`);
    const snis = page.getByRole('region', { name: 'SNIs' });
    await snis.getByRole('button', { name: 'Edit old.gui.test' }).click();
    const name = field(page, 'edit-snis', 'name');
    assert.equal(await name.inputValue(), 'old.gui.test');
    await name.fill('new.gui.test');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await snis.getByRole('cell', { name: 'new.gui.test', exact: true }).waitFor();
    const renamed = await admin('GET', '/snis/new.gui.test');
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.id, sniId, 'the same SNI, renamed, not a second one');
    assert.equal(renamed.body.certificate.id, cert.body.id);
    assert.equal((await admin('GET', '/snis/old.gui.test')).status, 404);
    assert.deepEqual((await admin('GET', `/certificates/${cert.body.id}`)).body.snis, ['new.gui.test']);
  });

  test('the cluster view shows two data planes, then one going away, live', async () => {
    const { page } = browser;
    await page.goto(`${gui}/cluster`);
    await page.getByText('live', { exact: true }).waitFor();
    const rows = page.locator('[data-testid="data-planes"] tbody tr[data-node]');
    await eventually(
      () => rows.count(),
      (n) => n === 1,
    );
    const second = await startDataPlaneNode(cp.clusterPort, certs);
    try {
      await page.locator('[data-testid="connected-count"]', { hasText: '2' }).waitFor();
      assert.equal(await rows.count(), 2);
      const dps = (await admin('GET', '/clustering/data-planes')).body as { data: { id: string }[] };
      const secondId = dps.data.map((d) => d.id).find((id) => !dp.lines.some((l) => l.node_id === id));
      const row = secondId === undefined ? rows.nth(1) : page.locator(`tr[data-node="${secondId}"]`);
      await row.locator('.badge.normal').waitFor();
    } finally {
      await second[Symbol.asyncDispose]();
    }
    // No reload: the stream says so.
    await page.locator('[data-testid="connected-count"]', { hasText: '1' }).waitFor();
    await page.locator('.badge.offline').waitFor();
    await page.locator('[data-testid="events"]', { hasText: 'disconnected' }).waitFor();
    // The timeline lists the versions the writes above made, with what each changed.
    await page.locator('.timeline', { hasText: 'services' }).waitFor();
  });

  test('import a declarative file: a preview of what is created, changed and deleted, then applied', async () => {
    const { page } = browser;
    const port = new URL(upstream.url).port;
    await page.goto(`${gui}/declarative`);
    await page.getByRole('button', { name: 'Export kong.yml' }).click();
    await page.locator('[data-testid="exported"]', { hasText: 'gui-svc' }).waitFor();

    // The export, edited: one service changed, one added, the key-auth plugin left out.
    const exported = parse((await admin('GET', '/config')).body.config as string) as Record<
      string,
      unknown[]
    >;
    const services = exported.services as { name: string; path?: string | null }[];
    const guiSvc = services.find((svc) => svc.name === 'gui-svc');
    assert.ok(guiSvc !== undefined);
    guiSvc.path = '/changed';
    services.push({ name: 'imported-svc', url: `http://127.0.0.1:${port}` } as never);
    delete exported.plugins;
    const file = stringify(exported);
    await page.getByLabel('Or paste it').fill(file);
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await page.locator('[data-testid="diff-preview"]').waitFor();
    assert.match(
      String(await page.locator('[data-testid="diff-created"]').textContent()),
      /services imported-svc/,
    );
    assert.match(
      String(await page.locator('[data-testid="diff-changed"]').textContent()),
      /gui-svc \(path\)/,
    );
    assert.match(
      String(await page.locator('[data-testid="diff-deleted"]').textContent()),
      /plugins key-auth/,
    );
    assert.equal((await admin('GET', '/services/imported-svc')).status, 404, 'the preview writes nothing');

    await page.getByRole('button', { name: 'Apply this import' }).click();
    await page.getByText(/^Imported: 1 created/).waitFor();
    assert.equal((await admin('GET', '/services/imported-svc')).status, 200);
    assert.equal(((await admin('GET', '/services/gui-svc')).body as { path?: string }).path, '/changed');
  });

  test("target health on an upstream's page: from the data planes' reports on a control plane, from a traditional node's balancers, set with a button", async () => {
    // The hybrid control plane: the health its data plane reports, with that data plane's own view.
    const created = await admin('POST', '/upstreams', {
      name: 'gui-health.internal',
      healthchecks: { passive: { unhealthy: { http_failures: 1 } } },
    });
    assert.equal(created.status, 201);
    assert.equal(
      (await admin('POST', '/upstreams/gui-health.internal/targets', { target: '127.0.0.1:9' })).status,
      201,
    );
    const { page } = browser;
    await page.goto(`${gui}/upstreams/${created.body.id}`);
    await page.getByRole('heading', { name: 'Target health' }).waitFor();
    const hybridRow = page.locator('tr[data-target="127.0.0.1:9"]');
    const view = hybridRow.locator('.data-planes li');
    await view.getByText('HEALTHY', { exact: true }).waitFor();
    assert.equal(await view.count(), 1, 'one data plane is connected');
    await hybridRow.getByRole('button', { name: 'Mark unhealthy' }).click();
    await view.getByText('UNHEALTHY', { exact: true }).waitFor();
    const reported = await admin('GET', '/upstreams/gui-health.internal/health');
    const [target] = (reported.body as { data: { health: string; data_planes: { health: string }[] }[] })
      .data;
    assert.equal(target?.health, 'UNHEALTHY');
    assert.deepEqual(
      target?.data_planes.map((v) => v.health),
      ['UNHEALTHY'],
    );

    await using traditional = await startGuiNode();
    const { guiPort, nodeAdmin } = traditional;
    const up = await nodeAdmin('POST', '/upstreams', {
      name: 'gui-health.internal',
      healthchecks: { passive: { unhealthy: { http_failures: 1 } } },
    });
    assert.equal(up.status, 201, up.text);
    const port = new URL(upstream.url).port;
    for (const target of [`127.0.0.1:${port}`, `127.0.0.2:${port}`])
      assert.equal(
        (await nodeAdmin('POST', '/upstreams/gui-health.internal/targets', { target })).status,
        201,
      );

    const tab = await browser.context.newPage();
    try {
      await tab.goto(`http://127.0.0.1:${guiPort}/upstreams/${(up.body as { id: string }).id}`);
      const input = tab.getByLabel('Admin token');
      await input.fill(TOKEN);
      await input.press('Enter');
      await tab.getByRole('heading', { name: 'Target health' }).waitFor();
      const row = tab.locator(`tr[data-target="127.0.0.2:${port}"]`);
      await row.getByText('HEALTHY', { exact: true }).waitFor();
      await row.getByRole('button', { name: 'Mark unhealthy' }).click();
      await row.getByText('UNHEALTHY', { exact: true }).waitFor();
      const health = await nodeAdmin('GET', '/upstreams/gui-health.internal/health');
      const seen = (health.body as { data: { target: string; health: string }[] }).data;
      assert.equal(seen.find((t) => t.target === `127.0.0.2:${port}`)?.health, 'UNHEALTHY');
      assert.equal(seen.find((t) => t.target === `127.0.0.1:${port}`)?.health, 'HEALTHY');
    } finally {
      await tab.close();
    }
  });

  test("target health from a traditional node's active checks: a dead target shown UNHEALTHY, then HEALTHY once it answers, without a reload", async () => {
    const deadPort = await freePort();
    await using traditional = await startGuiNode();
    const { guiPort, nodeAdmin } = traditional;
    const up = await nodeAdmin('POST', '/upstreams', {
      name: 'gui-active.internal',
      healthchecks: {
        active: {
          type: 'http',
          http_path: '/',
          timeout: 1,
          healthy: { interval: 1, successes: 1 },
          unhealthy: { interval: 1, tcp_failures: 1, http_failures: 1, timeouts: 1 },
        },
      },
    });
    assert.equal(up.status, 201, up.text);
    const live = `127.0.0.1:${new URL(upstream.url).port}`;
    const dead = `127.0.0.1:${deadPort}`;
    for (const target of [live, dead])
      assert.equal(
        (await nodeAdmin('POST', '/upstreams/gui-active.internal/targets', { target })).status,
        201,
      );

    const tab = await browser.context.newPage();
    const revived = createServer((_req, res) => res.end('ok'));
    try {
      await tab.goto(`http://127.0.0.1:${guiPort}/upstreams/${(up.body as { id: string }).id}`);
      const input = tab.getByLabel('Admin token');
      await input.fill(TOKEN);
      await input.press('Enter');
      await tab.getByRole('heading', { name: 'Target health' }).waitFor();
      const deadRow = tab.locator(`tr[data-target="${dead}"]`);
      // The probes, not a button: within an interval or two and the GUI's 3 s refresh.
      await deadRow.getByText('UNHEALTHY', { exact: true }).waitFor({ timeout: 20_000 });
      await tab.locator(`tr[data-target="${live}"]`).getByText('HEALTHY', { exact: true }).waitFor();
      assert.match(String(await deadRow.locator('td').nth(2).textContent()), new RegExp(`${dead} UNHEALTHY`));
      const seen = (await nodeAdmin('GET', '/upstreams/gui-active.internal/health')).body as {
        data: { target: string; health: string }[];
      };
      assert.equal(seen.data.find((t) => t.target === dead)?.health, 'UNHEALTHY');

      // The target comes up: the next probe and refresh show it, with no reload of the page.
      revived.listen(deadPort, '127.0.0.1');
      await once(revived, 'listening');
      await deadRow.getByText('HEALTHY', { exact: true }).waitFor({ timeout: 20_000 });
      assert.equal(
        (
          (await nodeAdmin('GET', '/upstreams/gui-active.internal/health')).body as {
            data: { target: string; health: string }[];
          }
        ).data.find((t) => t.target === dead)?.health,
        'HEALTHY',
      );
    } finally {
      await tab.close();
      revived.close();
    }
  });

  test('admin_gui_path: the GUI is served under a path prefix, its routes, files and deep links too', async () => {
    const guiPort = await freePort();
    await using other = await startControlPlaneNode(await pg.newDatabase(), certs, {
      env: {
        TURNPIKE_ADMIN_TOKEN: TOKEN,
        TURNPIKE_ADMIN_GUI_LISTEN: `127.0.0.1:${guiPort}`,
        TURNPIKE_ADMIN_GUI_PATH: '/manager/v1',
      },
    });
    const base = `http://127.0.0.1:${guiPort}`;
    assert.equal((await http('GET', `${base}/services`)).status, 404, 'nothing outside the prefix');
    assert.equal((await http('GET', `${base}/kconfig.json`)).status, 404);
    assert.equal((await http('GET', `${base}/manager/v1/kconfig.json`)).status, 200);
    const page = await browser.context.newPage();
    try {
      // A deep link, loaded first: its files come from under the prefix.
      await page.goto(`${base}/manager/v1/services/new`);
      const input = page.getByLabel('Admin token');
      await input.fill(TOKEN);
      await input.press('Enter');
      await page.locator('#services-name').waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Consumers' }).click();
      await page.getByRole('heading', { name: 'Consumers', level: 1 }).waitFor();
      assert.equal(
        new URL(page.url()).pathname,
        '/manager/v1/consumers',
        'the GUI links stay under the prefix',
      );
      await page.reload();
      await page.getByRole('heading', { name: 'Consumers', level: 1 }).waitFor();
    } finally {
      await page.close();
    }
    assert.ok(other.adminUrl);
  });

  test("admin_gui_csp_header: on by default (Turnpike's strict policy), off sends none (a value ignored with a warning), its own value ($host expanded) the GUI works under, a bad value stops start-up naming the key", async () => {
    // This file's control plane runs with the default and no value: Turnpike's strict policy.
    const strict = (await http('GET', `${gui}/`)).headers.get('content-security-policy') ?? '';
    assert.match(strict, /^default-src 'none'; script-src 'self'; /);
    assert.match(strict, /connect-src 'self' http:\/\/127\.0\.0\.1:\d+;/);

    const ports = async () => ({
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    const offPort = await freePort();
    {
      // Off (Kong 3.10's default): no header, even with a value, which the start-up warning lists.
      await using node = await startTurnpike({
        env: {
          ...(await ports()),
          TURNPIKE_ADMIN_GUI_LISTEN: `127.0.0.1:${offPort}`,
          TURNPIKE_ADMIN_GUI_CSP_HEADER: 'off',
          TURNPIKE_ADMIN_GUI_CSP_HEADER_VALUE: "default-src 'self'",
        },
      });
      const res = await http('GET', `http://127.0.0.1:${offPort}/services`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-security-policy'), null);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', 'the other hardening headers are always sent');
      const warning = await node.waitForLog((l) => /configuration keys ignored/.test(l.msg));
      assert.match(JSON.stringify(warning), /admin_gui_csp_header_value.*admin_gui_csp_header is off/);
    }

    const guiPort = await freePort();
    const adminPort = await freePort();
    const value = `default-src 'self'; connect-src 'self' http://$host:${adminPort}; img-src 'self' data:; frame-ancestors 'none'`;
    {
      await using node = await startTurnpike({
        env: {
          ...(await ports()),
          TURNPIKE_ADMIN_TOKEN: TOKEN,
          TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
          TURNPIKE_ADMIN_GUI_LISTEN: `127.0.0.1:${guiPort}`,
          KONG_ADMIN_GUI_CSP_HEADER: 'on',
          KONG_ADMIN_GUI_CSP_HEADER_VALUE: value,
        },
      });
      assert.ok(node.child.pid);
      const expected = value.replace('$host', '127.0.0.1');
      for (const path of ['/', '/kconfig.json', '/upstreams'])
        assert.equal(
          (await http('GET', `http://127.0.0.1:${guiPort}${path}`)).headers.get('content-security-policy'),
          expected,
          path,
        );
      // The browser enforces it: sign-in reaches the Admin API only because $host became 127.0.0.1.
      const tab = await browser.context.newPage();
      try {
        await tab.goto(`http://127.0.0.1:${guiPort}/services`);
        const input = tab.getByLabel('Admin token');
        await input.fill(TOKEN);
        await input.press('Enter');
        await tab.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
      } finally {
        await tab.close();
      }
    }

    for (const [env, key, detail] of [
      [{ TURNPIKE_ADMIN_GUI_CSP_HEADER: 'yes' }, 'admin_gui_csp_header', /TURNPIKE_ADMIN_GUI_CSP_HEADER/],
      [
        {
          TURNPIKE_ADMIN_GUI_CSP_HEADER: 'on',
          TURNPIKE_ADMIN_GUI_CSP_HEADER_VALUE: 'connect-src http://$server_name:8001',
        },
        'admin_gui_csp_header_value',
        /'\$server_name' is not expanded/,
      ],
    ] as const) {
      const result = await runTurnpike(['start'], {
        ...(await ports()),
        TURNPIKE_ADMIN_GUI_LISTEN: 'off',
        ...env,
      });
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, new RegExp(`\\b${key}\\b`));
      assert.match(result.stderr, detail);
    }
  });

  test('on a narrow window nothing overflows sideways, and the GUI asked nothing of any other host or tripped the CSP', async () => {
    const narrow = await browser.context.newPage();
    await narrow.setViewportSize({ width: 380, height: 800 });
    for (const path of ['/cluster', '/services', '/services/new']) {
      await narrow.goto(`${gui}${path}`);
      await narrow.locator('main h1').waitFor();
      const overflow = await narrow.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      assert.ok(overflow <= 1, `${path} overflows by ${overflow}px`);
    }
    await narrow.close();
    const hosts = new Set(browser.requests.map((url) => new URL(url).host.replace(/:\d+$/, '')));
    assert.deepEqual([...hosts], ['127.0.0.1']);
    assert.deepEqual(
      browser.errors.filter((e) => /Content Security Policy|Refused to/.test(e)),
      [],
    );
  });
});
