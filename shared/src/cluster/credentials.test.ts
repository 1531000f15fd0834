import 'reflect-metadata';
import assert from 'node:assert/strict';
import { KeyObject, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type ChannelCredentials,
  type ChannelOptions,
  credentials,
  makeGenericClientConstructor,
  Server,
  type ServerCredentials,
  type ServerInterceptor,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { ConfigInvalidError, TurnpikeError } from '../errors.ts';
import { type CertificatePair, generateClusterCertificate } from './certificate.ts';
import { channelCredentials, channelOptions, serverCredentials, serverInterceptors } from './credentials.ts';

// A one-method service with raw-bytes messages: these tests are about the transport, not proto/.
const echoService = {
  echo: {
    path: '/turnpike.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (value: Buffer) => value,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (value: Buffer) => value,
  },
} satisfies ServiceDefinition;
const EchoClient = makeGenericClientConstructor(echoService, 'Echo');

interface EchoServer extends AsyncDisposable {
  port: number;
  /** How many calls reached the handler: a refused peer must leave it at 0. */
  handled: () => number;
}

async function startEchoServer(
  creds: ServerCredentials,
  interceptors: ServerInterceptor[],
): Promise<EchoServer> {
  let handled = 0;
  const server = new Server({ interceptors });
  server.addService(echoService, {
    echo: (call: { request: Buffer }, callback: (error: null, reply: Buffer) => void) => {
      handled += 1;
      callback(null, call.request);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', creds, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { port, handled: () => handled, [Symbol.asyncDispose]: async () => server.forceShutdown() };
}

async function echo(port: number, creds: ChannelCredentials, options: ChannelOptions = {}): Promise<string> {
  const client = new EchoClient(`127.0.0.1:${port}`, creds, options);
  try {
    return await new Promise<string>((resolve, reject) => {
      client.makeUnaryRequest(
        echoService.echo.path,
        echoService.echo.requestSerialize,
        echoService.echo.responseDeserialize,
        Buffer.from('ping'),
        { deadline: Date.now() + 5000 },
        (error: ServiceError | null, reply?: Buffer) => (error ? reject(error) : resolve(String(reply))),
      );
    });
  } finally {
    client.close();
  }
}

/** Rejected with a gRPC status other than OK, and no call reached the handler. */
async function assertRefused(
  server: EchoServer,
  creds: ChannelCredentials,
  options: ChannelOptions,
  code?: number,
): Promise<void> {
  await assert.rejects(echo(server.port, creds, options), (error: ServiceError) => {
    assert.notEqual(error.code, status.OK);
    if (code !== undefined) assert.equal(error.code, code, error.details);
    return true;
  });
  assert.equal(server.handled(), 0);
}

const pem = (key: webcrypto.CryptoKey) =>
  KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
const ecP384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const sha384 = { name: 'ECDSA', hash: 'SHA-384' } as const;
const provider = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[1];

interface Authority extends CertificatePair {
  keys: webcrypto.CryptoKeyPair;
  cert: x509.X509Certificate;
}

async function makeAuthority(name: string): Promise<Authority> {
  const keys = await webcrypto.subtle.generateKey(ecP384, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=${name}`,
      keys,
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: sha384,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        // digitalSignature too, so that one can also serve as a shared cluster certificate.
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
      ],
    },
    provider,
  );
  return { keys, cert, certPem: cert.toString('pem'), keyPem: pem(keys.privateKey) };
}

async function issue(ca: Authority, commonName: string, dnsNames: string[] = []): Promise<CertificatePair> {
  const keys = await webcrypto.subtle.generateKey(ecP384, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: `CN=${commonName}`,
      issuer: ca.cert.subject,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: sha384,
      extensions: [
        new x509.ExtendedKeyUsageExtension([
          x509.ExtendedKeyUsage.serverAuth,
          x509.ExtendedKeyUsage.clientAuth,
        ]),
        ...(dnsNames.length > 0
          ? [
              new x509.SubjectAlternativeNameExtension(
                dnsNames.map((value) => ({ type: 'dns' as const, value })),
              ),
            ]
          : []),
      ],
    },
    provider,
  );
  return { certPem: cert.toString('pem'), keyPem: pem(keys.privateKey) };
}

describe('cluster_mtls = shared over grpc-js on 127.0.0.1', async () => {
  const cluster = await generateClusterCertificate({ days: 1 });
  const shared = { mode: 'shared' as const, ...cluster };

  it('a data plane and a control plane holding the cluster certificate talk', async () => {
    await using server = await startEchoServer(serverCredentials(shared), serverInterceptors(shared));
    assert.equal(await echo(server.port, channelCredentials(shared), channelOptions(shared)), 'ping');
    assert.equal(server.handled(), 1);
  });

  it('a data plane presenting another self-signed certificate is refused', async () => {
    await using server = await startEchoServer(serverCredentials(shared), serverInterceptors(shared));
    const stranger = await generateClusterCertificate({ days: 1 });
    // It trusts the real cluster certificate, so only the control plane's check can refuse it.
    const creds = credentials.createSsl(
      Buffer.from(cluster.certPem),
      Buffer.from(stranger.keyPem),
      Buffer.from(stranger.certPem),
      { checkServerIdentity: () => undefined },
    );
    await assertRefused(server, creds, channelOptions(shared));
  });

  it('a data plane presenting no certificate is refused', async () => {
    await using server = await startEchoServer(serverCredentials(shared), serverInterceptors(shared));
    const creds = credentials.createSsl(Buffer.from(cluster.certPem), null, null, {
      checkServerIdentity: () => undefined,
    });
    await assertRefused(server, creds, channelOptions(shared));
  });

  it('a data plane refuses a control plane that does not present the cluster certificate', async () => {
    const impostor = { mode: 'shared' as const, ...(await generateClusterCertificate({ days: 1 })) };
    await using server = await startEchoServer(serverCredentials(impostor), []);
    await assertRefused(server, channelCredentials(shared), channelOptions(shared), status.UNAVAILABLE);
  });

  it('a cluster certificate that is a CA (as openssl req -x509 makes) lets in no certificate it signed', async () => {
    // The sibling chains to the cluster certificate, so TLS accepts it: only the pin refuses it.
    const caCluster = await makeAuthority('turnpike_clustering');
    const caShared = { mode: 'shared' as const, certPem: caCluster.certPem, keyPem: caCluster.keyPem };
    const sibling = await issue(caCluster, 'data-plane-1');
    await using server = await startEchoServer(serverCredentials(caShared), serverInterceptors(caShared));
    const creds = credentials.createSsl(
      Buffer.from(caCluster.certPem),
      Buffer.from(sibling.keyPem),
      Buffer.from(sibling.certPem),
      { checkServerIdentity: () => undefined },
    );
    await assertRefused(server, creds, channelOptions(caShared), status.UNAUTHENTICATED);
    assert.equal(await echo(server.port, channelCredentials(caShared), channelOptions(caShared)), 'ping');
  });
});

describe('cluster_mtls = pki over grpc-js on 127.0.0.1', async () => {
  const ca = await makeAuthority('Turnpike Test CA');
  const cp = await issue(ca, 'control-plane', ['cp.turnpike.test']);
  const dp = await issue(ca, 'data-plane-1');
  const cpTls = { mode: 'pki' as const, ...cp, caPem: ca.certPem };
  const dpTls = { mode: 'pki' as const, ...dp, caPem: ca.certPem };

  it('planes with certificates from cluster_ca_cert talk when the server name matches', async () => {
    await using server = await startEchoServer(serverCredentials(cpTls), serverInterceptors(cpTls));
    const dpSettings = { ...dpTls, serverName: 'cp.turnpike.test' };
    assert.equal(await echo(server.port, channelCredentials(dpSettings), channelOptions(dpSettings)), 'ping');
  });

  it('a data plane refuses a control plane whose certificate does not carry cluster_server_name', async () => {
    await using server = await startEchoServer(serverCredentials(cpTls), serverInterceptors(cpTls));
    const dpSettings = { ...dpTls, serverName: 'other.turnpike.test' };
    await assertRefused(
      server,
      channelCredentials(dpSettings),
      channelOptions(dpSettings),
      status.UNAVAILABLE,
    );
  });

  it('without cluster_server_name, the name checked is the host dialled', async () => {
    await using server = await startEchoServer(serverCredentials(cpTls), serverInterceptors(cpTls));
    await assertRefused(server, channelCredentials(dpTls), channelOptions(dpTls), status.UNAVAILABLE);
  });

  it('a data plane whose certificate another CA signed is refused', async () => {
    const otherCa = await makeAuthority('Other CA');
    const stranger = await issue(otherCa, 'data-plane-2');
    await using server = await startEchoServer(serverCredentials(cpTls), serverInterceptors(cpTls));
    const creds = credentials.createSsl(
      Buffer.from(ca.certPem),
      Buffer.from(stranger.keyPem),
      Buffer.from(stranger.certPem),
      { checkServerIdentity: () => undefined },
    );
    await assertRefused(server, creds, { 'grpc.ssl_target_name_override': 'cp.turnpike.test' });
  });
});

describe('cluster_mtls = off', () => {
  it('talks plain text, with no certificate needed', async () => {
    await using server = await startEchoServer(
      serverCredentials({ mode: 'off' }),
      serverInterceptors({ mode: 'off' }),
    );
    assert.equal(await echo(server.port, channelCredentials({ mode: 'off' })), 'ping');
  });
});

describe('cluster TLS settings', async () => {
  const cluster = await generateClusterCertificate({ days: 1 });

  const problemKeys = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      assert.ok(error instanceof ConfigInvalidError);
      assert.ok(error instanceof TurnpikeError);
      assert.equal(error.code, 'TP_CONFIG_INVALID');
      return error.problems.map((p) => `${p.key}: ${p.message}`);
    }
    assert.fail('expected ConfigInvalidError');
  };

  it('pki mode without cluster_ca_cert is refused in Kong’s words', () => {
    assert.deepEqual(
      problemKeys(() => serverCredentials({ mode: 'pki', ...cluster })),
      ['cluster_ca_cert: must be specified when cluster_mtls = "pki"'],
    );
  });

  it('shared mode without a certificate or key names both keys', () => {
    assert.deepEqual(
      problemKeys(() => channelCredentials({ mode: 'shared' })),
      [
        'cluster_cert: must be specified when cluster_mtls = "shared"',
        'cluster_cert_key: must be specified when cluster_mtls = "shared"',
      ],
    );
  });

  it('a key that does not belong to the certificate is refused', async () => {
    const other = await generateClusterCertificate({ days: 1 });
    assert.deepEqual(
      problemKeys(() =>
        serverCredentials({ mode: 'shared', certPem: cluster.certPem, keyPem: other.keyPem }),
      ),
      ['cluster_cert_key: does not match cluster_cert'],
    );
  });

  it('text that is not PEM is refused, naming the key', () => {
    assert.deepEqual(
      problemKeys(() => serverCredentials({ mode: 'shared', certPem: 'nonsense', keyPem: 'nonsense' })),
      [
        'cluster_cert: failed loading certificate: not a PEM X.509 certificate',
        'cluster_cert_key: failed loading key: not a PEM private key',
      ],
    );
  });

  it('an unknown cluster_mtls mode is refused', () => {
    assert.deepEqual(
      problemKeys(() => serverCredentials({ mode: 'tls' as 'off' })),
      ['cluster_mtls: expected one of: shared, pki, off, got "tls"'],
    );
  });
});
