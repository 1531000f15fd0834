import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { REPO_ROOT } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

test('one `turnpike start` with no configuration proxies what the Admin API configures', async () => {
  await using upstream = await startEchoUpstream('echo');
  await using node = await startTraditionalNode();
  const { adminUrl } = node;
  const root = await http('GET', `${adminUrl}/`);
  assert.equal(root.status, 200);
  assert.equal((root.body as { configuration: { role: string } }).configuration.role, 'traditional');

  const miss = await http('GET', `${node.proxyUrl}/echo/hello`);
  assert.equal(miss.status, 404);
  assert.deepEqual(miss.body, {
    message: 'no Route matched with those values',
    request_id: miss.headers.get('x-kong-request-id'),
  });

  const service = await http('POST', `${adminUrl}/services`, { name: 'echo', url: `${upstream.url}/base` });
  assert.equal(service.status, 201, service.text);
  const route = await http('POST', `${adminUrl}/services/echo/routes`, { name: 'echo', paths: ['/echo'] });
  assert.equal(route.status, 201, route.text);

  const proxied = await eventually(
    () => http('GET', `${node.proxyUrl}/echo/hello?x=1`),
    (r) => r.status === 200,
  );
  assert.deepEqual(proxied.body, { upstream: 'echo', method: 'GET', url: '/base/hello?x=1' });
  assert.match(proxied.headers.get('via') ?? '', /turnpike/);

  const dps = await http('GET', `${adminUrl}/clustering/data-planes`);
  const [dp] = (dps.body as { data: { sync_status: string; config_hash: string }[] }).data;
  assert.equal(dp?.sync_status, 'normal');
  const ready = await http('GET', `${node.statusUrl}/status/ready`);
  assert.equal(ready.status, 200);
  const statusBody = ready.status === 200 ? await http('GET', `${node.statusUrl}/status`) : ready;
  const { control_plane, data_plane } = statusBody.body as Record<string, { config_hash: string }>;
  assert.equal(
    data_plane?.config_hash,
    control_plane?.config_hash,
    'the data plane holds what the control plane published',
  );
  assert.equal(dp?.config_hash, control_plane?.config_hash);

  // Deleting the route stops the proxying.
  assert.equal((await http('DELETE', `${adminUrl}/routes/echo`)).status, 204);
  await eventually(
    () => http('GET', `${node.proxyUrl}/echo/hello`),
    (r) => r.status === 404,
  );
  assert.ok(node.lines.some((l) => l.msg === 'configuration applied'));
});

test('a key-auth plugin configured through the Admin API is enforced by the proxy workers', async () => {
  await using upstream = await startEchoUpstream('guarded');
  await using node = await startTraditionalNode({ env: { TURNPIKE_WORKER_PROCESSES: '2' } });
  const { adminUrl, proxyUrl } = node;
  assert.equal(
    (await http('POST', `${adminUrl}/services`, { name: 'guarded', url: upstream.url })).status,
    201,
  );
  assert.equal(
    (await http('POST', `${adminUrl}/services/guarded/routes`, { paths: ['/guarded'] })).status,
    201,
  );
  const plugin = await http('POST', `${adminUrl}/services/guarded/plugins`, { name: 'key-auth' });
  assert.equal(plugin.status, 201, plugin.text);
  assert.equal((await http('POST', `${adminUrl}/consumers`, { username: 'ann' })).status, 201);
  assert.equal(
    (await http('POST', `${adminUrl}/consumers/ann/key-auth`, { key: 'ann-secret-key' })).status,
    201,
  );

  const refused = await eventually(
    () => http('GET', `${proxyUrl}/guarded/x`),
    (r) => r.status === 401,
  );
  assert.deepEqual(refused.body, { message: 'No API key found in request' });
  const wrong = await http('GET', `${proxyUrl}/guarded/x`, undefined, { apikey: 'not-it' });
  assert.equal(wrong.status, 401);
  const before = upstream.received.length;
  const allowed = await eventually(
    () => http('GET', `${proxyUrl}/guarded/x`, undefined, { apikey: 'ann-secret-key' }),
    (r) => r.status === 200,
  );
  assert.deepEqual(allowed.body, { upstream: 'guarded', method: 'GET', url: '/x' });
  const seen = upstream.received.at(-1);
  assert.equal(seen?.headers['x-consumer-username'], 'ann');
  assert.equal(upstream.received.length, before + 1, 'refused requests never reached the upstream');

  const unknown = await http('POST', `${adminUrl}/plugins`, { name: 'no-such-plugin' });
  assert.equal(unknown.status, 400);
  assert.match(JSON.stringify(unknown.body), /plugin 'no-such-plugin' not enabled/);
});

test('a node on a persisted datastore without secrets_default stores a certificate as given, as Kong does', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-pglite-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await using node = await startTraditionalNode({
    env: { TURNPIKE_DSN: `pglite://${dir}`, TURNPIKE_RUN_MIGRATIONS: 'on' },
  });
  const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'shared/src/schema/fixtures', name), 'utf8');
  const created = await http('POST', `${node.adminUrl}/certificates`, {
    cert: fixture('ec.crt'),
    key: fixture('ec.key'),
    snis: ['plain.example'],
  });
  assert.equal(created.status, 201, created.text);
  const id = (created.body as { id: string }).id;
  const read = await http('GET', `${node.adminUrl}/certificates/${id}`);
  assert.equal((read.body as { key: string }).key, fixture('ec.key'));
  assert.deepEqual((read.body as { snis: string[] }).snis, ['plain.example']);
});
