/**
 * Upstream TLS end to end: a proxy on 127.0.0.1 in front of real https upstreams, with Kong's
 * service fields `tls_verify`, `tls_verify_depth`, `ca_certificates` and `client_certificate`.
 */

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import { describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { BalancerRegistry } from '@turnpike/data-plane/balancer';
import {
  type CaCertificateConfig,
  type CertificateConfig,
  ConfigApplier,
  decodeContent,
  type RuntimeConfig,
} from '@turnpike/data-plane/config';
import { DEFAULT_SETTINGS, startProxy } from '@turnpike/data-plane/proxy';
import type { ProxyServiceConfig, RuntimeSource } from '@turnpike/data-plane/runtime';
import { UpstreamPools } from '@turnpike/data-plane/upstream';
import { createLogger } from '@turnpike/shared';
import { withoutRequestId } from './proxy-fixtures.ts';
import {
  CA_A_CERT,
  CA_B_CERT,
  CHAINED_SERVER_CERT,
  CHAINED_SERVER_KEY,
  CLIENT_CERT,
  CLIENT_KEY,
  INTERMEDIATE_CERT,
  SERVER_CERT,
  SERVER_KEY,
} from './proxy-upstream-tls-fixtures.ts';

const CA_A: CaCertificateConfig = { id: '00000000-0000-4000-8000-00000000000a', cert: CA_A_CERT };
const CA_B: CaCertificateConfig = { id: '00000000-0000-4000-8000-00000000000b', cert: CA_B_CERT };
const CLIENT: CertificateConfig = {
  id: '00000000-0000-4000-8000-00000000000c',
  cert: CLIENT_CERT,
  key: CLIENT_KEY,
};
const BAD_GATEWAY = { message: 'An invalid response was received from the upstream server' };

interface HttpsUpstream extends AsyncDisposable {
  readonly port: number;
  /** The CN of the client certificate of each request (empty when none was presented). */
  readonly clients: string[];
}

/** An https server answering 200 "ok"; with `clientCa`, it requires a client certificate from it. */
async function httpsUpstream(options: {
  cert: string;
  key: string;
  clientCa?: string;
}): Promise<HttpsUpstream> {
  const clients: string[] = [];
  const server = createServer(
    {
      cert: options.cert,
      key: options.key,
      ...(options.clientCa === undefined
        ? {}
        : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }),
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      clients.push(typeof peer.subject?.CN === 'string' ? peer.subject.CN : '');
      res.end('ok');
    },
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    clients,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

async function get(port: number): Promise<Answer> {
  // Asking for JSON: without an Accept header, Kong's errors come in error_default_type (text/plain).
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path: '/',
    agent: false,
    headers: { accept: 'application/json' },
  });
  req.end();
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() };
}

function httpsService(port: number, extra: Partial<ProxyServiceConfig> = {}): ProxyServiceConfig {
  return { id: 'svc', protocol: 'https', host: '127.0.0.1', port, ...extra };
}

type Entities = Omit<RuntimeConfig, 'version' | 'routes'>;

interface TlsProxy extends AsyncDisposable {
  readonly port: number;
  readonly holder: RuntimeSource;
  readonly pools: UpstreamPools;
  readonly config: ConfigApplier;
  /** Connection failures the pools logged. */
  readonly logged: { code?: string; msg: string }[];
}

const ROUTES = [{ id: 'route', paths: ['/'], service: { id: 'svc' } }];

async function tlsProxy(entities: Entities): Promise<TlsProxy> {
  const logged: { code?: string; msg: string }[] = [];
  const log = createLogger({
    level: 'error',
    destination: { write: (line: string) => void logged.push(JSON.parse(line)) },
  });
  const pools = new UpstreamPools(undefined, log);
  const balancers = new BalancerRegistry();
  const config = new ConfigApplier({ dispatchers: pools, balancers });
  config.install({ version: 1, routes: ROUTES, ...entities });
  const holder = config.runtime;
  await balancers.settled();
  const proxy = await startProxy({
    listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
    holder,
    settings: DEFAULT_SETTINGS,
    log: createLogger({ level: 'silent' }),
  });
  return {
    port: proxy.ports[0]!,
    holder,
    pools,
    config,
    logged,
    async [Symbol.asyncDispose]() {
      await proxy.stop('now', Date.now());
      await balancers.stop();
      await pools.close();
    },
  };
}

describe('upstream TLS for https services', () => {
  it('answers 200 when tls_verify is on and the upstream certificate chains to a listed CA', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY });
    await using proxy = await tlsProxy({
      services: [httpsService(upstream.port, { tls_verify: true, ca_certificates: [CA_A.id] })],
      caCertificates: [CA_A, CA_B],
    });
    assert.deepEqual(await get(proxy.port), { status: 200, body: 'ok' });
  });

  it('answers 502 with Kong body and logs the TLS error when no listed CA signed the certificate', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY });
    await using proxy = await tlsProxy({
      services: [httpsService(upstream.port, { tls_verify: true, ca_certificates: [CA_B.id] })],
      caCertificates: [CA_A, CA_B],
    });
    const answer = await get(proxy.port);
    assert.equal(answer.status, 502);
    assert.deepEqual(withoutRequestId(JSON.parse(answer.body)), BAD_GATEWAY);
    assert.equal(upstream.clients.length, 0);
    assert.ok(
      proxy.logged.some(
        (line) => line.msg === 'upstream connection failed' && /VERIFY|ISSUER/.test(line.code ?? ''),
      ),
      JSON.stringify(proxy.logged),
    );
  });

  it('answers 502 when tls_verify is on without ca_certificates and the CA is not in the default store', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY });
    await using proxy = await tlsProxy({ services: [httpsService(upstream.port, { tls_verify: true })] });
    assert.equal((await get(proxy.port)).status, 502);
  });

  it('answers 200 from an untrusted upstream when tls_verify is off or null, as Kong by default', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY });
    await using off = await tlsProxy({
      services: [httpsService(upstream.port, { tls_verify: false, ca_certificates: [CA_B.id] })],
      caCertificates: [CA_B],
    });
    assert.equal((await get(off.port)).status, 200);
    await using unset = await tlsProxy({ services: [httpsService(upstream.port)] });
    assert.equal((await get(unset.port)).status, 200);
  });

  it('presents client_certificate to an upstream that requires one, and fails without it', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY, clientCa: CA_A_CERT });
    await using withCert = await tlsProxy({
      services: [
        httpsService(upstream.port, {
          tls_verify: true,
          ca_certificates: [CA_A.id],
          client_certificate: { id: CLIENT.id },
        }),
      ],
      caCertificates: [CA_A],
      certificates: [CLIENT],
    });
    assert.deepEqual(await get(withCert.port), { status: 200, body: 'ok' });
    assert.deepEqual(upstream.clients, ['turnpike-client']);

    await using without = await tlsProxy({
      services: [httpsService(upstream.port, { tls_verify: true, ca_certificates: [CA_A.id] })],
      caCertificates: [CA_A],
    });
    assert.equal((await get(without.port)).status, 502);
    assert.deepEqual(upstream.clients, ['turnpike-client']);
  });

  it('limits the chain to tls_verify_depth intermediate CAs (default 1, as nginx)', async () => {
    await using upstream = await httpsUpstream({
      cert: `${CHAINED_SERVER_CERT}${INTERMEDIATE_CERT}`,
      key: CHAINED_SERVER_KEY,
    });
    const verifying = { tls_verify: true, ca_certificates: [CA_A.id] };
    await using byDefault = await tlsProxy({
      services: [httpsService(upstream.port, verifying)],
      caCertificates: [CA_A],
    });
    assert.equal((await get(byDefault.port)).status, 200);
    await using tooShallow = await tlsProxy({
      services: [httpsService(upstream.port, { ...verifying, tls_verify_depth: 0 })],
      caCertificates: [CA_A],
    });
    assert.equal((await get(tooShallow.port)).status, 502);
    assert.ok(
      tooShallow.logged.some((line) => line.code === 'CERT_CHAIN_TOO_LONG'),
      JSON.stringify(tooShallow.logged),
    );
  });

  it('verifies each target of a balanced service against the service CA certificates', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY });
    const upstreamId = '00000000-0000-4000-8000-000000000001';
    const balanced = (ca: CaCertificateConfig): Entities => ({
      services: [
        { ...httpsService(443, { tls_verify: true, ca_certificates: [ca.id] }), host: 'backend.internal' },
      ],
      caCertificates: [ca],
      upstreams: [{ id: upstreamId, name: 'backend.internal' }],
      targets: [
        { id: 't0', target: `127.0.0.1:${upstream.port}`, weight: 100, upstream: { id: upstreamId } },
      ],
    });
    await using trusted = await tlsProxy(balanced(CA_A));
    assert.deepEqual(await get(trusted.port), { status: 200, body: 'ok' });
    await using untrusted = await tlsProxy(balanced(CA_B));
    assert.equal((await get(untrusted.port)).status, 502);
  });

  it('takes a changed CA certificate into account in the next version, by full compile and by patch', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY });
    const svc = httpsService(upstream.port, { tls_verify: true, ca_certificates: [CA_B.id] });
    await using proxy = await tlsProxy({ services: [svc], caCertificates: [CA_B] });
    assert.equal((await get(proxy.port)).status, 502);

    // Same entity id, new certificate: only the ca_certificate changed, the service did not.
    const swapped = { id: CA_B.id, cert: CA_A_CERT };
    const entities = new Map<string, Map<string, unknown>>([
      ['services', new Map([[svc.id, svc]])],
      ['routes', new Map(ROUTES.map((r) => [r.id, r]))],
      ['ca_certificates', new Map([[swapped.id, swapped]])],
    ]);
    const previous = proxy.holder.current;
    proxy.config.patch({
      version: 2,
      entities: decodeContent(entities),
      changes: [{ entity: 'ca_certificates', id: swapped.id, op: 'upsert' }],
    });
    assert.notEqual(
      proxy.holder.current.services.get('svc')?.dispatcher,
      previous.services.get('svc')?.dispatcher,
    );
    assert.deepEqual(await get(proxy.port), { status: 200, body: 'ok' });

    // Back to CA B by a full compile: the pool of the first version is found again, still refusing.
    proxy.config.install({ version: 3, routes: ROUTES, services: [svc], caCertificates: [CA_B] });
    assert.equal(
      proxy.holder.current.services.get('svc')?.dispatcher,
      previous.services.get('svc')?.dispatcher,
    );
    assert.equal((await get(proxy.port)).status, 502);
  });

  it('keeps the pool of a service whose TLS profile did not change across versions', async () => {
    await using upstream = await httpsUpstream({ cert: SERVER_CERT, key: SERVER_KEY });
    const config = {
      services: [httpsService(upstream.port, { tls_verify: true, ca_certificates: [CA_A.id] })],
      caCertificates: [CA_A],
    };
    await using proxy = await tlsProxy(config);
    const first = proxy.holder.current.services.get('svc')?.dispatcher;
    proxy.config.install({ version: 2, routes: ROUTES, ...config, caCertificates: [{ ...CA_A }] });
    assert.equal(proxy.holder.current.services.get('svc')?.dispatcher, first);
    assert.equal(proxy.pools.size, 1);
  });
});
