/**
 * DB-less mode on a traditional node (`database = off`), started as Kong's Docker documentation
 * starts Kong DB-less: KONG_DATABASE=off, KONG_DECLARATIVE_CONFIG=kong.yml, the logs to
 * stdout/stderr, KONG_ADMIN_LISTEN. No datastore: the file is the whole configuration.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { runTurnpike, startTurnpike } from '../helpers/turnpike.ts';
import { type EchoUpstream, startEchoUpstream } from '../helpers/upstream.ts';

let dir: string;
let blue: EchoUpstream;
let green: EchoUpstream;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-dbless-'));
  blue = await startEchoUpstream('blue');
  green = await startEchoUpstream('green');
});
after(async () => {
  await blue?.[Symbol.asyncDispose]();
  await green?.[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

const kongYml = (upstream: EchoUpstream, extraRoute = '') => `_format_version: "3.0"
services:
  - name: web
    url: ${upstream.url}/app
    routes:
      - name: web
        paths: [/web]
${extraRoute}consumers:
  - username: ann
    basicauth_credentials:
      - username: ann
        password: ann-password
`;

/** Kong's Docker docs' DB-less environment, on free ports. */
async function dockerEnv(extra: Record<string, string>) {
  const [admin, proxy, status] = [await freePort(), await freePort(), await freePort()];
  return {
    env: {
      KONG_DATABASE: 'off',
      KONG_PROXY_ACCESS_LOG: '/dev/stdout',
      KONG_ADMIN_ACCESS_LOG: '/dev/stdout',
      KONG_PROXY_ERROR_LOG: '/dev/stderr',
      KONG_ADMIN_ERROR_LOG: '/dev/stderr',
      KONG_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      KONG_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${status}`,
      ...extra,
    },
    adminUrl: `http://127.0.0.1:${admin}`,
    proxyUrl: `http://127.0.0.1:${proxy}`,
    statusUrl: `http://127.0.0.1:${status}`,
  };
}

describe('a DB-less traditional node', () => {
  test('serves the declarative file, answers reads, and refuses entity writes with Kong’s 405', async () => {
    const file = join(dir, 'kong.yml');
    await writeFile(file, kongYml(blue));
    const setup = await dockerEnv({ KONG_DECLARATIVE_CONFIG: file });
    await using node = await startTurnpike({ env: setup.env });
    const { adminUrl, proxyUrl } = setup;
    assert.ok(
      node.lines.some((l) => l.msg === 'declarative config loaded' && l.origin === file),
      'the start names the file it loaded',
    );
    assert.ok(!node.lines.some((l) => /datastore|migrations/.test(l.msg)), 'no datastore is opened');

    const proxied = await eventually(
      () => http('GET', `${proxyUrl}/web/hello`),
      (r) => r.status === 200,
    );
    assert.deepEqual(proxied.body, { upstream: 'blue', method: 'GET', url: '/app/hello' });

    const services = await http('GET', `${adminUrl}/services`);
    assert.equal(services.status, 200);
    assert.deepEqual(
      (services.body as { data: { name: string }[] }).data.map((s) => s.name),
      ['web'],
    );
    const nested = await http('GET', `${adminUrl}/services/web/routes`);
    assert.deepEqual(
      (nested.body as { data: { name: string }[] }).data.map((r) => r.name),
      ['web'],
    );
    const credential = await http('GET', `${adminUrl}/consumers/ann/basic-auth`);
    const [stored] = (credential.body as { data: { password: string }[] }).data;
    assert.match(stored?.password ?? '', /^\$scrypt\$/, 'basic-auth passwords are hashed, as Kong does');
    assert.equal((await http('GET', `${adminUrl}/routes/nope`)).status, 404);

    const status = await http('GET', `${adminUrl}/status`);
    assert.equal(status.status, 200);
    const statusBody = status.body as { configuration_hash?: string; database?: unknown };
    assert.match(statusBody.configuration_hash ?? '', /^[0-9a-f]{32}$/);
    assert.equal(statusBody.database, undefined, 'Kong reports no database in DB-less mode');
    assert.equal((await http('GET', `${setup.statusUrl}/status/ready`)).status, 200);

    const refusals: [string, string, unknown, string][] = [
      ['POST', '/services', { name: 'x', url: 'http://x' }, "cannot create 'services' entities"],
      ['POST', '/services/web/routes', { paths: ['/x'] }, "cannot create 'routes' entities"],
      ['PATCH', '/services/web', { retries: 1 }, "cannot update 'services' entities by 'name'"],
      ['PUT', `/consumers/bob`, {}, "cannot create or update 'consumers' entities by 'username'"],
      ['DELETE', '/routes/web', undefined, "cannot remove 'routes' entities by 'name'"],
    ];
    for (const [method, path, body, message] of refusals) {
      const answer = await http(method, `${adminUrl}${path}`, body);
      assert.equal(answer.status, 405, `${method} ${path}: ${answer.text}`);
      assert.deepEqual(answer.body, {
        code: 12,
        name: 'operation unsupported',
        message: `${message} when not using a database`,
      });
    }
    assert.equal((await http('GET', `${proxyUrl}/web/still`)).status, 200, 'nothing changed');
  });

  test('with one worker, in this process, the proxy serves the file before the Admin API is built', async () => {
    const file = join(dir, 'kong.yml');
    await writeFile(file, kongYml(blue));
    const setup = await dockerEnv({ KONG_DECLARATIVE_CONFIG: file, TURNPIKE_WORKER_PROCESSES: '1' });
    await using node = await startTurnpike({ env: setup.env });
    const at = (msg: string) => node.lines.findIndex((l) => l.msg === msg);
    assert.ok(at('configuration applied') !== -1 && at('admin listener started') !== -1, 'both are logged');
    assert.ok(
      at('configuration applied') < at('admin listener started'),
      'the proxy applied the file before the Admin API listened',
    );
    const proxied = await http('GET', `${setup.proxyUrl}/web/hello`);
    assert.equal(proxied.status, 200);
    assert.equal((await http('GET', `${setup.adminUrl}/routes`)).status, 200);
  });

  test('POST /config swaps the configuration under load without failing a request', async (t) => {
    const file = join(dir, 'swap.yml');
    await writeFile(file, kongYml(blue));
    const setup = await dockerEnv({ KONG_DECLARATIVE_CONFIG: file, TURNPIKE_WORKER_PROCESSES: '2' });
    await using _node = await startTurnpike({ env: setup.env });
    const { adminUrl, proxyUrl } = setup;
    await eventually(
      () => http('GET', `${proxyUrl}/web/`),
      (r) => r.status === 200,
    );

    let loading = true;
    const seen = { blue: 0, green: 0 };
    const failures: string[] = [];
    const client = async () => {
      while (loading) {
        const answer = await http('GET', `${proxyUrl}/web/load`).catch((err: Error) => ({
          status: 0,
          text: err.message,
          body: undefined,
        }));
        if (answer.status !== 200) failures.push(`${answer.status} ${answer.text}`);
        else seen[(answer.body as { upstream: 'blue' | 'green' }).upstream]++;
      }
    };
    const clients = Array.from({ length: 4 }, client);
    // However the swaps go, the clients stop (a failed assertion must not leave them looping).
    t.after(() => {
      loading = false;
    });

    const extra = (n: number) => `      - name: extra${n}\n        paths: [/extra${n}]\n`;
    const withExtra = (up: EchoUpstream, n: number) =>
      kongYml(up).replace('        paths: [/web]\n', `        paths: [/web]\n${extra(n)}`);
    // Each of Kong's three body forms, alternating the upstream behind /web.
    const yaml = await fetch(`${adminUrl}/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: withExtra(green, 1),
    });
    assert.equal(yaml.status, 201, await yaml.text());
    await eventually(
      () => http('GET', `${proxyUrl}/extra1/`),
      (r) => r.status === 200,
    );
    const form = new FormData();
    form.append('config', new Blob([withExtra(blue, 2)]), 'kong.yml');
    const multipart = await fetch(`${adminUrl}/config`, { method: 'POST', body: form });
    const multipartText = await multipart.text();
    assert.equal(multipart.status, 201, multipartText);
    const body = JSON.parse(multipartText) as { services: Record<string, { name: string }> };
    assert.deepEqual(
      Object.values(body.services).map((s) => s.name),
      ['web'],
      "Kong's body: the entities by id",
    );
    await eventually(
      () => http('GET', `${proxyUrl}/extra2/`),
      (r) => r.status === 200,
    );
    const json = await http('POST', `${adminUrl}/config`, {
      _format_version: '3.0',
      services: [{ name: 'web', url: `${green.url}/app`, routes: [{ name: 'web', paths: ['/web'] }] }],
    });
    assert.equal(json.status, 201, json.text);
    await eventually(
      () => http('GET', `${proxyUrl}/extra2/`),
      (r) => r.status === 404,
    );
    await eventually(
      () => http('GET', `${proxyUrl}/web/`),
      (r) => (r.body as { upstream?: string }).upstream === 'green',
    );
    loading = false;
    await Promise.all(clients);
    assert.deepEqual(failures, [], 'no request failed while the configuration was swapped');
    assert.ok(seen.blue > 0 && seen.green > 0, `both configurations served traffic: ${JSON.stringify(seen)}`);

    // A bad file is Kong's code 14 and changes nothing; check_hash skips a text already loaded.
    const bad = await http('POST', `${adminUrl}/config`, {
      _format_version: '3.0',
      services: [{ port: 'x' }],
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { code: number }).code, 14);
    assert.equal((await http('GET', `${proxyUrl}/web/`)).status, 200);
    const text = kongYml(blue);
    const post = (query: string) =>
      fetch(`${adminUrl}/config${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body: text,
      });
    assert.equal((await post('')).status, 201);
    assert.equal((await post('?check_hash=1')).status, 304);
    const exported = await http('GET', `${adminUrl}/config`);
    assert.match((exported.body as { config: string }).config, /name: web/);
  });

  test('declarative_config_string is the configuration when no file is given', async () => {
    const setup = await dockerEnv({ KONG_DECLARATIVE_CONFIG_STRING: kongYml(green) });
    await using _node = await startTurnpike({ env: setup.env });
    const proxied = await eventually(
      () => http('GET', `${setup.proxyUrl}/web/s`),
      (r) => r.status === 200,
    );
    assert.equal((proxied.body as { upstream: string }).upstream, 'green');
  });

  test('a bad declarative file stops the start, naming the file and the error', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, '_format_version: "3.0"\nservices:\n  - name: broken\n    port: 99999\n');
    const setup = await dockerEnv({ KONG_DECLARATIVE_CONFIG: file });
    const result = await runTurnpike(['start'], { ...setup.env, TURNPIKE_PREFIX: join(dir, 'bad-prefix') });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`error parsing declarative config file ${file}`));
    assert.match(result.stderr, /bad\.yml:4: services\[0\]\.port: /);
    const check = await runTurnpike(['check'], setup.env);
    assert.notEqual(check.code, 0, 'check runs the same check as start');
    assert.match(check.stderr, /error parsing declarative config file/);
  });
});
