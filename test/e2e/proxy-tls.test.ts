import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { proxyTlsFromConfig } from '@turnpike/data-plane/proxy';
import { ConfigInvalidError } from '@turnpike/shared';
import { generateClusterCertificate } from '@turnpike/shared/cluster';
import { recordingUpstream, route, service } from './proxy-fixtures.ts';
import { certificate, servedCertificate, sni, tlsTestProxy } from './proxy-tls-fixtures.ts';

function httpsGet(port: number, path: string, servername: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername,
        headers: { host: servername },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('certificates chosen by SNI', async () => {
  const exact = await certificate('c-exact', 'exact');
  const prefix = await certificate('c-prefix', 'prefix-wildcard');
  const suffix = await certificate('c-suffix', 'suffix-wildcard');
  const catchAll = await certificate('c-all', 'catch-all');
  const entities = {
    services: [],
    routes: [],
    certificates: [exact, prefix, suffix],
    snis: [sni('api.example.test', 'c-exact'), sni('*.example.test', 'c-prefix'), sni('shop.*', 'c-suffix')],
  };

  it('serves the certificate of an exact SNI', async () => {
    await using proxy = await tlsTestProxy(entities);
    assert.equal((await servedCertificate(proxy.tlsPort, 'api.example.test')).subject.CN, 'exact');
    assert.equal((await servedCertificate(proxy.tlsPort, 'API.Example.TEST')).subject.CN, 'exact');
  });

  it('serves wildcard certificates, a leading wildcard before a trailing one, for one label only', async () => {
    await using proxy = await tlsTestProxy(entities);
    assert.equal((await servedCertificate(proxy.tlsPort, 'www.example.test')).subject.CN, 'prefix-wildcard');
    assert.equal((await servedCertificate(proxy.tlsPort, 'shop.example.test')).subject.CN, 'prefix-wildcard');
    assert.equal((await servedCertificate(proxy.tlsPort, 'shop.other')).subject.CN, 'suffix-wildcard');
    // As Kong, `*.example.test` stands for one label: a deeper name falls back to the default.
    assert.equal((await servedCertificate(proxy.tlsPort, 'a.b.example.test')).subject.CN, 'localhost');
  });

  it('serves the default certificate without SNI or when no SNI matches, unless an SNI named * exists', async () => {
    await using proxy = await tlsTestProxy(entities);
    assert.equal((await servedCertificate(proxy.tlsPort)).subject.CN, 'localhost');
    assert.equal((await servedCertificate(proxy.tlsPort, 'unknown.test')).subject.CN, 'localhost');
    proxy.apply(
      {
        ...entities,
        certificates: [...entities.certificates, catchAll],
        snis: [...entities.snis, sni('*', 'c-all')],
      },
      2,
    );
    assert.equal((await servedCertificate(proxy.tlsPort, 'unknown.test')).subject.CN, 'catch-all');
  });

  it('serves a new certificate on new connections once a new version is swapped in', async () => {
    await using proxy = await tlsTestProxy(entities);
    assert.equal((await servedCertificate(proxy.tlsPort, 'api.example.test')).subject.CN, 'exact');
    const renewed = await certificate('c-new', 'renewed');
    proxy.apply({ ...entities, certificates: [renewed], snis: [sni('api.example.test', 'c-new')] }, 2);
    assert.equal((await servedCertificate(proxy.tlsPort, 'api.example.test')).subject.CN, 'renewed');
    assert.equal((await servedCertificate(proxy.tlsPort, 'www.example.test')).subject.CN, 'localhost');
  });

  it('reports a certificate that does not parse and leaves its SNIs on the default certificate', async () => {
    const broken = { id: 'bad', cert: 'not a pem', key: 'nor this' };
    await using proxy = await tlsTestProxy({
      services: [],
      routes: [],
      certificates: [broken],
      snis: [sni('x.test', 'bad')],
    });
    assert.match(proxy.holder.current.problems.map((p) => p.message).join('\n'), /certificate bad/);
    assert.equal((await servedCertificate(proxy.tlsPort, 'x.test')).subject.CN, 'localhost');
  });

  it('matches route snis against the TLS server name', async () => {
    await using upstream = await recordingUpstream();
    await using proxy = await tlsTestProxy({
      services: [service(upstream.port)],
      routes: [route({ protocols: ['https'], snis: ['api.example.test'] })],
      certificates: [exact],
      snis: [sni('api.example.test', 'c-exact')],
    });
    assert.equal((await httpsGet(proxy.tlsPort, '/x', 'api.example.test')).status, 200);
    const other = await httpsGet(proxy.tlsPort, '/x', 'other.example.test');
    assert.equal(other.status, 404);
    assert.match(other.body, /no Route matched/);
  });
});

describe('the default certificate from ssl_cert', () => {
  it('serves ssl_cert / ssl_cert_key when no certificate entity matches', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-tls-'));
    try {
      const pair = await generateClusterCertificate({ commonName: 'configured', days: 1 });
      await writeFile(join(dir, 'proxy.crt'), pair.certPem);
      await writeFile(join(dir, 'proxy.key'), pair.keyPem);
      const tls = await proxyTlsFromConfig({
        ssl_cert: [join(dir, 'proxy.crt')],
        ssl_cert_key: [join(dir, 'proxy.key')],
      });
      assert.ok(tls !== undefined);
      await using proxy = await tlsTestProxy({ services: [], routes: [] }, { tls });
      assert.equal((await servedCertificate(proxy.tlsPort)).subject.CN, 'configured');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the setting whose file cannot be read or parsed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-tls-'));
    try {
      await writeFile(join(dir, 'junk.crt'), 'junk');
      await assert.rejects(
        proxyTlsFromConfig({ ssl_cert: [join(dir, 'missing.crt')], ssl_cert_key: [join(dir, 'k')] }),
        (err) => err instanceof ConfigInvalidError && err.problems[0]?.key === 'ssl_cert',
      );
      await assert.rejects(
        proxyTlsFromConfig({ ssl_cert: [join(dir, 'junk.crt')], ssl_cert_key: [join(dir, 'missing.key')] }),
        (err) => err instanceof ConfigInvalidError && err.problems[0]?.key === 'ssl_cert_key',
      );
      await writeFile(join(dir, 'junk.key'), 'junk');
      await assert.rejects(
        proxyTlsFromConfig({ ssl_cert: [join(dir, 'junk.crt')], ssl_cert_key: [join(dir, 'junk.key')] }),
        (err) => err instanceof ConfigInvalidError && err.problems[0]?.key === 'ssl_cert',
      );
      assert.equal(await proxyTlsFromConfig({ ssl_cert: [], ssl_cert_key: [] }), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
