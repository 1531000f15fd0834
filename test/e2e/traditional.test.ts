import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { startTurnpike } from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

test('one `turnpike start` with no configuration proxies what the Admin API configures', async () => {
  await using upstream = await startEchoUpstream('echo');
  const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()];
  await using node = await startTurnpike({
    env: {
      TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      TURNPIKE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
    },
  });
  const adminUrl = `http://127.0.0.1:${admin}`;
  const root = await http('GET', `${adminUrl}/`);
  assert.equal(root.status, 200);
  assert.equal((root.body as { configuration: { role: string } }).configuration.role, 'traditional');

  const miss = await http('GET', `http://127.0.0.1:${proxy}/echo/hello`);
  assert.equal(miss.status, 404);
  assert.deepEqual(miss.body, { message: 'no Route matched with those values' });

  const service = await http('POST', `${adminUrl}/services`, { name: 'echo', url: `${upstream.url}/base` });
  assert.equal(service.status, 201, service.text);
  const route = await http('POST', `${adminUrl}/services/echo/routes`, { name: 'echo', paths: ['/echo'] });
  assert.equal(route.status, 201, route.text);

  const proxied = await eventually(
    () => http('GET', `http://127.0.0.1:${proxy}/echo/hello?x=1`),
    (r) => r.status === 200,
  );
  assert.deepEqual(proxied.body, { upstream: 'echo', method: 'GET', url: '/base/hello?x=1' });
  assert.match(proxied.headers.get('via') ?? '', /turnpike/);

  const dps = await http('GET', `${adminUrl}/clustering/data-planes`);
  const [dp] = (dps.body as { data: { sync_status: string; config_hash: string }[] }).data;
  assert.equal(dp?.sync_status, 'normal');
  const ready = await http('GET', `http://127.0.0.1:${status}/status/ready`);
  assert.equal(ready.status, 200);
  const statusBody = ready.status === 200 ? await http('GET', `http://127.0.0.1:${status}/status`) : ready;
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
    () => http('GET', `http://127.0.0.1:${proxy}/echo/hello`),
    (r) => r.status === 404,
  );
  assert.ok(node.lines.some((l) => l.msg === 'configuration applied'));
});
