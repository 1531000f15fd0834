import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type ClusterCerts,
  type ControlPlaneNode,
  genClusterCert,
  startControlPlaneNode,
} from '../helpers/cluster.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { runTurnpike } from '../helpers/turnpike.ts';

let pg: TestPostgres;
let certs: ClusterCerts;
let cp: ControlPlaneNode;
before(async () => {
  pg = await startPostgres();
  certs = await genClusterCert();
  cp = await startControlPlaneNode(await pg.newDatabase(), certs);
});
after(async () => {
  await cp[Symbol.asyncDispose]();
  await certs[Symbol.asyncDispose]();
  await pg[Symbol.asyncDispose]();
});

async function configVersion(): Promise<number> {
  const status = await http('GET', `${cp.adminUrl}/status`);
  return (status.body as { config_version: number }).config_version;
}

describe('the Admin API of a control plane process on PostgreSQL', () => {
  test('concurrent creates of one name: exactly one 201 and the others 409 naming the field', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        http('POST', `${cp.adminUrl}/services`, { name: 'race', url: 'http://race.test' }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    const conflict = results.find((r) => r.status === 409)?.body as {
      code: number;
      name: string;
      fields: Record<string, string>;
    };
    assert.equal(conflict.code, 5);
    assert.equal(conflict.name, 'unique constraint violation');
    // Kong's shape: the message names the key, `fields` holds the clashing value.
    assert.equal(
      (conflict as unknown as { message: string }).message,
      `UNIQUE violation detected on '{name="race"}'`,
    );
    assert.deepEqual(conflict.fields, { name: 'race' });
  });

  test('the config version bumps once per successful write and never on a failed one', async () => {
    const start = await configVersion();
    assert.equal(
      (await http('POST', `${cp.adminUrl}/services`, { name: 'v1', url: 'http://v.test' })).status,
      201,
    );
    assert.equal(await configVersion(), start + 1);
    const bad = await http('POST', `${cp.adminUrl}/services`, { name: 'v2', url: 'ftp://v.test' });
    assert.equal(bad.status, 400);
    assert.equal((bad.body as { code: number }).code, 2);
    assert.equal(
      (await http('POST', `${cp.adminUrl}/services`, { name: 'v1', url: 'http://v.test' })).status,
      409,
    );
    assert.equal(await configVersion(), start + 1, 'failures change nothing');
  });

  test('a write that fails half-way leaves nothing behind', async () => {
    const before = await configVersion();
    // A certificate with its SNIs is one write: an invalid SNI refuses the certificate too.
    const { generateClusterCertificate } = await import('@turnpike/shared/cluster');
    const pair = await generateClusterCertificate({ commonName: 'half.test', days: 1 });
    const res = await http('POST', `${cp.adminUrl}/certificates`, {
      cert: pair.certPem,
      key: pair.keyPem,
      snis: ['ok.half.test', 'not a host name'],
    });
    assert.equal(res.status, 400, res.text);
    const certificates = (await http('GET', `${cp.adminUrl}/certificates`)).body as { data: unknown[] };
    const snis = (await http('GET', `${cp.adminUrl}/snis`)).body as { data: unknown[] };
    assert.equal(certificates.data.length, 0);
    assert.equal(snis.data.length, 0);
    assert.equal(await configVersion(), before);
  });

  test('deleting a service that routes use is refused; deleting a consumer removes its credentials', async () => {
    await http('POST', `${cp.adminUrl}/services`, { name: 'parent', url: 'http://p.test' });
    await http('POST', `${cp.adminUrl}/services/parent/routes`, { name: 'child', paths: ['/child'] });
    const refused = await http('DELETE', `${cp.adminUrl}/services/parent`);
    assert.equal(refused.status, 400);
    assert.equal((refused.body as { code: number }).code, 4);
    assert.equal((await http('GET', `${cp.adminUrl}/routes/child`)).status, 200);

    await http('POST', `${cp.adminUrl}/consumers`, { username: 'alice' });
    const key = await http('POST', `${cp.adminUrl}/consumers/alice/key-auth`, { key: 'alice-key' });
    assert.equal(key.status, 201, key.text);
    assert.equal((await http('DELETE', `${cp.adminUrl}/consumers/alice`)).status, 204);
    const keys = (await http('GET', `${cp.adminUrl}/key-auths`)).body as { data: unknown[] };
    assert.equal(keys.data.length, 0);
  });
});

/** Sends raw bytes to the Admin API and returns everything it answers before closing. */
function rawRequest(bytes: Buffer): Promise<string> {
  const { port } = new URL(cp.adminUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      answer += d;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
    socket.end(bytes);
  });
}

describe('the information a control plane process gives', () => {
  test("GET / lists the plugins with their handler's version and priority, without running them", async () => {
    const root = await http('GET', `${cp.adminUrl}/`);
    const available = (root.body as { plugins: { available_on_server: Record<string, unknown> } }).plugins
      .available_on_server;
    assert.deepEqual(available['key-auth'], {
      version: (available['key-auth'] as { version: string }).version,
      priority: 1250,
    });
    assert.match((available['key-auth'] as { version: string }).version, /^\d+\.\d+\.\d+$/);
    assert.equal((available.acl as { priority: number }).priority, 950);
  });
});

describe('hostile requests to the Admin API process', () => {
  test('bytes the HTTP parser refuses get a JSON 400 in Kong words; percent-encoded ones a Kong-shaped 400', async () => {
    const line = (target: number[]) =>
      Buffer.concat([Buffer.from('GET '), Buffer.from(target), Buffer.from(' HTTP/1.1\r\nHost: a\r\n\r\n')]);
    for (const target of [
      [0x2f, 0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x73, 0x2f, 0xff], // /services/\xff
      [0x2f, 0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x73, 0x2f, 0x00], // /services/\0
    ]) {
      const answer = await rawRequest(line(target));
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.match(answer, /\r\nserver: turnpike\/\d+\.\d+\.\d+\r\n/i, 'Kong adds Server to these too');
      assert.ok(answer.endsWith('{"message":"Bad request"}'), answer);
    }
    const huge = await rawRequest(
      Buffer.from(`GET /services HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`),
    );
    assert.match(huge, /^HTTP\/1\.1 431 /);
    assert.ok(huge.endsWith('{"message":"Request header or cookie too large"}'), huge);

    const nul = await http('GET', `${cp.adminUrl}/services/a%00?tags=x`);
    assert.equal(nul.status, 400);
    assert.equal((nul.body as { name: string }).name, 'invalid unique name');
    const tags = await http('GET', `${cp.adminUrl}/services?tags=%FF`);
    assert.equal((tags.body as { code: number }).code, 11);
    const body = await http('POST', `${cp.adminUrl}/services`, { name: 'nul\u0000', url: 'http://n.test' });
    assert.equal(body.status, 400);
    assert.deepEqual((body.body as { fields: unknown }).fields, {
      name: 'invalid NUL character detected at position 4',
    });
  });
});

describe('the Admin API over TLS', () => {
  test('an ssl entry in admin_listen serves the Admin API over HTTPS with a generated certificate', async () => {
    const [plain, secure] = [await freePort(), await freePort()];
    await using node = await startControlPlaneNode(await pg.newDatabase(), certs, {
      env: { TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${secure} ssl` },
    });
    const { request } = await import('node:https');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: secure, path: '/', rejectUnauthorized: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => {
            text += d;
          });
          res.on('end', () =>
            res.statusCode === 200 ? resolve(text) : reject(new Error(`status ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal((JSON.parse(body) as { tagline: string }).tagline, 'Welcome to turnpike');
    assert.equal(
      (await http('GET', `http://127.0.0.1:${plain}/status`)).status,
      200,
      'the plain listener too',
    );
    assert.equal(node.child.exitCode, null);
  });
});

describe('the Admin API off loopback', () => {
  test('start refuses a non-loopback admin listener without a token, naming the keys', async () => {
    const result = await runTurnpike(['start'], {
      TURNPIKE_ADMIN_LISTEN: `0.0.0.0:${await freePort()}`,
      TURNPIKE_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /admin_listen/);
    assert.match(result.stderr, /admin_token/);
  });

  test('with a token, every request needs it (Kong-Admin-Token or Authorization: Bearer)', async () => {
    await using guarded = await startControlPlaneNode(await pg.newDatabase(), certs, {
      env: { TURNPIKE_ADMIN_TOKEN: 'an-admin-token-1234' },
    });
    assert.equal((await http('GET', `${guarded.adminUrl}/services`)).status, 401);
    assert.equal(
      (await http('GET', `${guarded.adminUrl}/services`, undefined, { 'kong-admin-token': 'nope' })).status,
      401,
    );
    const ok = await http('GET', `${guarded.adminUrl}/services`, undefined, {
      'kong-admin-token': 'an-admin-token-1234',
    });
    assert.equal(ok.status, 200);
    const bearer = await http('GET', `${guarded.adminUrl}/`, undefined, {
      authorization: 'Bearer an-admin-token-1234',
    });
    assert.equal(bearer.status, 200);
    assert.doesNotMatch(bearer.text, /an-admin-token-1234/, 'GET / never shows the token');
  });
});

describe('readiness of a control plane', () => {
  test('/status/ready answers 503 once its PostgreSQL is gone, while /status stays 200', async () => {
    const own = await startPostgres({ throwaway: true });
    await using node = await startControlPlaneNode(own.dsn, certs);
    assert.equal((await http('GET', `${node.statusUrl}/status/ready`)).status, 200);
    await own[Symbol.asyncDispose]();
    // If the process died (it did, when a pooled connection lost mid-transaction had no 'error'
    // listener), its stderr says why.
    const why = () => `exit code ${node.child.exitCode}, stderr:\n${node.stderr()}`;
    const ready = await eventually(
      () => http('GET', `${node.statusUrl}/status/ready`),
      (r) => r.status === 503,
    ).catch((err: unknown) => assert.fail(`${(err as Error).message}\n${why()}`));
    // Kong's words (kong/status/ready.lua).
    assert.deepEqual(ready.body, { message: 'failed to connect to database' });
    assert.equal((await http('GET', `${node.statusUrl}/status`)).status, 200, why());
    assert.equal(node.child.exitCode, null, why());
    assert.equal(node.stderr(), '', why());
  });
});
