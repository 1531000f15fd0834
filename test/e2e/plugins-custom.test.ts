import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTraditionalNode, type TraditionalNode } from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { REPO_ROOT, runProgram, runTurnpike } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';
import { KONG_JS_HELLO, serviceAndRoute, tempDir, writeStampPlugin } from './custom-plugin-fixtures.ts';

// Custom plugins on traditional nodes, the way Kong's "installation and distribution" guide goes:
// written anywhere, made known to the node (plugins + plugin_paths, or node_modules), configured
// through the Admin API, refused in Kong's words when something is off, removed in three steps.

async function addPlugin(
  node: TraditionalNode,
  service: string,
  name: string,
  config: Record<string, unknown>,
) {
  const res = await http('POST', `${node.adminUrl}/services/${service}/plugins`, { name, config });
  assert.equal(res.status, 201, res.text);
  return (res.body as { id: string }).id;
}

describe('custom plugins on a traditional node', () => {
  test('a TypeScript plugin and a Kong JS PDK plugin in a folder outside the repository change traffic once configured through the Admin API', async () => {
    await using upstream = await startEchoUpstream('custom');
    await using plugins = await tempDir('turnpike-custom-plugins-');
    const dir = await writeStampPlugin(plugins.path);
    await writeFile(join(plugins.path, 'js-hello.js'), KONG_JS_HELLO);
    await using node = await startTraditionalNode({
      env: {
        TURNPIKE_PLUGINS: 'bundled,stamp,js-hello',
        TURNPIKE_PLUGIN_PATHS: plugins.path,
        TURNPIKE_LOG_LEVEL: 'debug',
      },
    });
    // Kong's debug line at load, with the version and the path.
    const loading = await node.waitForLog((l) => l.msg === 'Loading plugin: stamp');
    assert.equal(loading.version, '1.0.0');
    assert.equal(loading.path, join(dir, 'schema.ts'));
    const root = (await http('GET', `${node.adminUrl}/`)).body as {
      plugins: { available_on_server: object };
    };
    assert.ok('stamp' in root.plugins.available_on_server && 'js-hello' in root.plugins.available_on_server);

    await serviceAndRoute(node.adminUrl, 'stamped', upstream.url, '/stamped');
    await serviceAndRoute(node.adminUrl, 'hello', upstream.url, '/hello');
    // The plugin's schema validates its config at the Admin API, in Kong's error shape.
    const bad = await http('POST', `${node.adminUrl}/services/stamped/plugins`, {
      name: 'stamp',
      config: { value: 5 },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body as { fields: unknown }).fields, { config: { value: 'expected a string' } });
    await addPlugin(node, 'stamped', 'stamp', { value: 'from-typescript' });
    await addPlugin(node, 'hello', 'js-hello', { message: 'hi' });

    const stamped = await eventually(
      () => http('GET', `${node.proxyUrl}/stamped/a`),
      (r) => r.headers.get('x-stamped-by') !== null,
    );
    assert.equal(stamped.status, 200);
    assert.equal(stamped.headers.get('x-stamped-by'), 'stamp 1.0.0');
    assert.equal(upstream.received.at(-1)?.headers['x-stamp'], 'from-typescript');
    const hello = await eventually(
      () => http('GET', `${node.proxyUrl}/hello`),
      (r) => r.headers.get('x-hello-from-javascript') !== null,
    );
    const host = new URL(node.proxyUrl).host;
    assert.equal(hello.headers.get('x-hello-from-javascript'), `Javascript says hi to ${host}`);
    assert.match(hello.headers.get('x-javascript-pid') ?? '', /^\d+$/);
  });

  test('the same plugin installed from a packed tarball and from a local npm package', async () => {
    await using upstream = await startEchoUpstream('installed');
    await using work = await tempDir('turnpike-install-');
    // Installed by `turnpike plugin install`: a `plugin pack` tarball onto plugin_paths, an `npm pack`
    // tarball into the node's node_modules.
    const source = await writeStampPlugin(join(work.path, 'src'), { version: '1.1.0' });
    const packed = await runTurnpike(['plugin', 'pack', source, '--out', join(work.path, 'stamp-1.1.0.tgz')]);
    assert.equal(packed.code, 0, packed.stderr);
    const paths = join(work.path, 'plugins');
    await mkdir(paths);
    const fromTarball = await runTurnpike(['plugin', 'install', join(work.path, 'stamp-1.1.0.tgz')], {
      TURNPIKE_PLUGIN_PATHS: paths,
    });
    assert.equal(fromTarball.code, 0, fromTarball.stderr);
    assert.match(fromTarball.stdout, new RegExp(`installed stamp 1\\.1\\.0 into ${join(paths, 'stamp')}`));

    const npmName = 'tp-e2e-npm-stamp';
    const npmSource = await writeStampPlugin(join(work.path, 'npm-src'), { name: npmName, version: '2.0.0' });
    const npmPacked = await runProgram(
      'npm',
      ['pack', npmSource, '--pack-destination', work.path, '--json'],
      {},
      work.path,
    );
    assert.equal(npmPacked.code, 0, npmPacked.stderr);
    const tarball = join(work.path, (JSON.parse(npmPacked.stdout) as { filename: string }[])[0]!.filename);
    const installedDir = join(REPO_ROOT, 'node_modules', `turnpike-plugin-${npmName}`);
    await rm(installedDir, { recursive: true, force: true });
    try {
      const fromNpm = await runTurnpike(['plugin', 'install', tarball]);
      assert.equal(fromNpm.code, 0, fromNpm.stderr);
      assert.match(fromNpm.stdout, new RegExp(`into ${installedDir}`));

      await using node = await startTraditionalNode({
        env: { TURNPIKE_PLUGINS: `bundled,stamp,${npmName}`, TURNPIKE_PLUGIN_PATHS: paths },
      });
      await serviceAndRoute(node.adminUrl, 'from-tarball', upstream.url, '/tarball');
      await serviceAndRoute(node.adminUrl, 'from-npm', upstream.url, '/npm');
      await addPlugin(node, 'from-tarball', 'stamp', { value: 'packed' });
      await addPlugin(node, 'from-npm', npmName, { header: 'X-From-Npm', value: 'npm' });
      const viaTarball = await eventually(
        () => http('GET', `${node.proxyUrl}/tarball`),
        (r) => r.headers.get('x-stamped-by') !== null,
      );
      assert.equal(viaTarball.headers.get('x-stamped-by'), 'stamp 1.1.0');
      assert.equal(upstream.received.at(-1)?.headers['x-stamp'], 'packed');
      const viaNpm = await eventually(
        () => http('GET', `${node.proxyUrl}/npm`),
        (r) => r.headers.get('x-stamped-by') !== null,
      );
      // TypeScript inside node_modules, its types stripped by the node's module hooks.
      assert.equal(viaNpm.headers.get('x-stamped-by'), `${npmName} 2.0.0`);
      assert.equal(upstream.received.at(-1)?.headers['x-from-npm'], 'npm');
    } finally {
      await rm(installedDir, { recursive: true, force: true });
    }
  });

  test("each loading failure stops start and fails check, in Kong's words", async () => {
    await using plugins = await tempDir('turnpike-broken-plugins-');
    await writeStampPlugin(plugins.path, { name: 'typo', schemaType: 'strng' });
    await mkdir(join(plugins.path, 'schemaless'));
    await writeFile(
      join(plugins.path, 'schemaless', 'handler.mjs'),
      "export const handler = { name: 'schemaless', version: '1.0.0', priority: 1 };\n",
    );
    const cases: [string, RegExp][] = [
      [
        'ghost',
        new RegExp(
          `ghost plugin is enabled but not installed;\\n\\s+no plugin at '${join(plugins.path, 'ghost')}'\\n\\s+no plugin at '.*node_modules/turnpike-plugin-ghost'`,
        ),
      ],
      ['schemaless', /no configuration schema found for plugin: schemaless/],
      [
        'typo',
        new RegExp(
          `error loading plugin schemas: on plugin 'typo' \\(${join(plugins.path, 'typo', 'schema.ts')}\\): invalid schema: config\\.header\\.type: unknown type "strng"`,
        ),
      ],
    ];
    for (const [name, message] of cases) {
      const env = {
        TURNPIKE_PLUGINS: `bundled,${name}`,
        TURNPIKE_PLUGIN_PATHS: plugins.path,
        TURNPIKE_PREFIX: join(plugins.path, `prefix-${name}`),
        TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
        TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
        TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
        TURNPIKE_ADMIN_GUI_LISTEN: 'off',
      };
      const check = await runTurnpike(['check'], env);
      assert.equal(check.code, 1, `check ${name}: ${check.stdout}`);
      assert.match(check.stderr, message, `check ${name}`);
      assert.match(check.stderr, /plugins \(from TURNPIKE_PLUGINS\)/);
      const start = await runTurnpike(['start'], env);
      assert.equal(start.code, 1, `start ${name}`);
      assert.match(start.stderr, message, `start ${name}`);
    }
  });

  test('removal in three steps: a plugin still configured cannot leave `plugins`; once its instances are deleted it can, then its files go', async () => {
    await using upstream = await startEchoUpstream('removal');
    await using work = await tempDir('turnpike-removal-');
    await writeStampPlugin(join(work.path, 'plugins'));
    const base = {
      TURNPIKE_DSN: `pglite://${join(work.path, 'db')}`,
      TURNPIKE_RUN_MIGRATIONS: 'on',
      TURNPIKE_SECRETS_DEFAULT: 'a-secret-of-16-or-more-characters',
      TURNPIKE_PLUGIN_PATHS: join(work.path, 'plugins'),
    };
    const enabled = { ...base, TURNPIKE_PLUGINS: 'bundled,stamp' };
    const removed = { ...base, TURNPIKE_PLUGINS: 'bundled' };
    let id: string;
    {
      await using node = await startTraditionalNode({ env: enabled });
      await serviceAndRoute(node.adminUrl, 'svc', upstream.url, '/svc');
      id = await addPlugin(node, 'svc', 'stamp', { value: 'still here' });
    }

    // Removing it from `plugins` while an instance remains: refused by check and start alike.
    const refused = /plugins \(from TURNPIKE_PLUGINS\): stamp plugin is in use but not enabled/;
    const check = await runTurnpike(['check'], removed);
    assert.equal(check.code, 1);
    assert.match(check.stderr, refused);
    const start = await runTurnpike(['start'], {
      ...removed,
      TURNPIKE_PREFIX: join(work.path, 'prefix'),
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
      TURNPIKE_ADMIN_GUI_LISTEN: 'off',
    });
    assert.equal(start.code, 1);
    assert.match(start.stderr, refused);

    // Step 1: delete its instances (the node still has it).
    {
      await using node = await startTraditionalNode({ env: enabled });
      assert.equal((await http('DELETE', `${node.adminUrl}/plugins/${id}`)).status, 204);
    }
    // Step 2: remove it from `plugins`; step 3: remove its files. The node starts and serves.
    await rm(join(work.path, 'plugins', 'stamp'), { recursive: true });
    assert.equal((await runTurnpike(['check'], removed)).code, 0);
    await using node = await startTraditionalNode({ env: removed });
    const res = await eventually(
      () => http('GET', `${node.proxyUrl}/svc`),
      (r) => r.status === 200,
    );
    assert.equal(res.headers.get('x-stamped-by'), null);
    assert.equal((await http('GET', `${node.statusUrl}/status/ready`)).status, 200);
  });
});
