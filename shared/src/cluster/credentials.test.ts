import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import {
  type ChannelCredentials,
  type ChannelOptions,
  credentials,
  Metadata,
  makeGenericClientConstructor,
  Server,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { issueCertificate as issue, makeAuthority } from '../../../test/helpers/pki.ts';
import { ConfigInvalidError, TurnpikeError } from '../errors.ts';
import { type CertificatePair, generateClusterCertificate } from './certificate.ts';
import { channelCredentials, channelOptions, NODE_ID_METADATA } from './credentials.ts';
import { type ClusterGate, clusterGate, type PeerRefusal } from './gate.ts';

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

async function startEchoServer(gate: ClusterGate): Promise<EchoServer> {
  let handled = 0;
  const server = new Server({ interceptors: gate.interceptors });
  server.addService(echoService, {
    echo: (call: { request: Buffer }, callback: (error: null, reply: Buffer) => void) => {
      handled += 1;
      callback(null, call.request);
    },
  });
  const listener = await gate.listen(server, '127.0.0.1', 0);
  return {
    port: listener.port,
    handled: () => handled,
    [Symbol.asyncDispose]: async () => {
      server.forceShutdown();
      listener.close();
    },
  };
}

async function echo(
  port: number,
  creds: ChannelCredentials,
  options: ChannelOptions = {},
  metadata = new Metadata(),
): Promise<string> {
  const client = new EchoClient(`127.0.0.1:${port}`, creds, options);
  try {
    return await new Promise<string>((resolve, reject) => {
      client.makeUnaryRequest(
        echoService.echo.path,
        echoService.echo.requestSerialize,
        echoService.echo.responseDeserialize,
        Buffer.from('ping'),
        metadata,
        { deadline: Date.now() + 5000 },
        (error: ServiceError | null, reply?: Buffer) => (error ? reject(error) : resolve(String(reply))),
      );
    });
  } finally {
    client.close();
  }
}

/** Resolves once a refusal was reported (the server's side of a close can trail the client's). */
async function reported(refusals: readonly unknown[]): Promise<void> {
  for (let turn = 0; refusals.length === 0 && turn < 2000; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Data plane credentials that trust `trustedPem`, present `pair` and check no server name. */
function presenting(trustedPem: string, pair: CertificatePair): ChannelCredentials {
  return credentials.createSsl(Buffer.from(trustedPem), Buffer.from(pair.keyPem), Buffer.from(pair.certPem), {
    checkServerIdentity: () => undefined,
  });
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

describe('cluster_mtls = shared over grpc-js on 127.0.0.1', async () => {
  const cluster = await generateClusterCertificate({ days: 1 });
  const shared = { mode: 'shared' as const, ...cluster };

  it('a data plane and a control plane holding the cluster certificate talk', async () => {
    await using server = await startEchoServer(clusterGate(shared));
    assert.equal(await echo(server.port, channelCredentials(shared), channelOptions(shared)), 'ping');
    assert.equal(server.handled(), 1);
  });

  it('a data plane presenting another self-signed certificate is refused', async () => {
    await using server = await startEchoServer(clusterGate(shared));
    const stranger = await generateClusterCertificate({ days: 1 });
    // It trusts the real cluster certificate, so only the control plane's check can refuse it.
    const creds = presenting(cluster.certPem, stranger);
    await assertRefused(server, creds, channelOptions(shared));
  });

  it('a data plane presenting no certificate is refused', async () => {
    await using server = await startEchoServer(clusterGate(shared));
    const creds = credentials.createSsl(Buffer.from(cluster.certPem), null, null, {
      checkServerIdentity: () => undefined,
    });
    await assertRefused(server, creds, channelOptions(shared));
  });

  it('a data plane refuses a control plane that does not present the cluster certificate', async () => {
    const impostor = { mode: 'shared' as const, ...(await generateClusterCertificate({ days: 1 })) };
    await using server = await startEchoServer(clusterGate(impostor));
    await assertRefused(server, channelCredentials(shared), channelOptions(shared), status.UNAVAILABLE);
  });

  it('a cluster certificate that is a CA (as openssl req -x509 makes) lets in no certificate it signed', async () => {
    // The sibling chains to the cluster certificate, so TLS accepts it: only the pin refuses it.
    const caCluster = await makeAuthority('turnpike_clustering');
    const caShared = { mode: 'shared' as const, certPem: caCluster.certPem, keyPem: caCluster.keyPem };
    const sibling = await issue(caCluster, 'data-plane-1');
    await using server = await startEchoServer(clusterGate(caShared));
    const creds = presenting(caCluster.certPem, sibling);
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
    await using server = await startEchoServer(clusterGate(cpTls));
    const dpSettings = { ...dpTls, serverName: 'cp.turnpike.test' };
    assert.equal(await echo(server.port, channelCredentials(dpSettings), channelOptions(dpSettings)), 'ping');
  });

  it('a data plane refuses a control plane whose certificate does not carry cluster_server_name', async () => {
    await using server = await startEchoServer(clusterGate(cpTls));
    const dpSettings = { ...dpTls, serverName: 'other.turnpike.test' };
    await assertRefused(
      server,
      channelCredentials(dpSettings),
      channelOptions(dpSettings),
      status.UNAVAILABLE,
    );
  });

  it('without cluster_server_name, the name checked is the host dialled', async () => {
    await using server = await startEchoServer(clusterGate(cpTls));
    await assertRefused(server, channelCredentials(dpTls), channelOptions(dpTls), status.UNAVAILABLE);
  });

  it('a data plane whose certificate another CA signed is refused', async () => {
    const otherCa = await makeAuthority('Other CA');
    const stranger = await issue(otherCa, 'data-plane-2');
    await using server = await startEchoServer(clusterGate(cpTls));
    const creds = presenting(ca.certPem, stranger);
    await assertRefused(server, creds, { 'grpc.ssl_target_name_override': 'cp.turnpike.test' });
  });
});

describe('refusals are reported to the control plane', async () => {
  const cluster = await generateClusterCertificate({ days: 1 });
  const shared = { mode: 'shared' as const, ...cluster };
  const ca = await makeAuthority('Turnpike Test CA');
  const cp = await issue(ca, 'cp.cluster.test', ['cp.cluster.test']);
  const dpIn = { mode: 'pki' as const, ...(await issue(ca, 'dp-1.cluster.test')), caPem: ca.certPem };
  const dpOut = { mode: 'pki' as const, ...(await issue(ca, 'dp-1.other.test')), caPem: ca.certPem };
  const toCp = (dp: typeof dpIn) => ({ ...dp, serverName: 'cp.cluster.test' });
  const claiming = (nodeId: string) => {
    const metadata = new Metadata();
    metadata.set(NODE_ID_METADATA, nodeId);
    return metadata;
  };

  async function refusedBy(
    settings: Parameters<typeof clusterGate>[0],
    creds: ChannelCredentials,
    options: ChannelOptions,
  ): Promise<PeerRefusal[]> {
    const refusals: PeerRefusal[] = [];
    await using server = await startEchoServer(clusterGate(settings, { onRefused: (r) => refusals.push(r) }));
    await assert.rejects(echo(server.port, creds, options, claiming('dp-node-1')), (error: ServiceError) => {
      assert.equal(error.code, status.UNAUTHENTICATED, error.details);
      assert.equal(error.details, refusals[0]?.message);
      return true;
    });
    assert.equal(server.handled(), 0);
    return refusals;
  }

  it('a foreign certificate in shared mode: reason certificate, with the node id the data plane claims', async () => {
    const stranger = await generateClusterCertificate({ days: 1 });
    const creds = presenting(cluster.certPem, stranger);
    const [refusal] = await refusedBy(shared, creds, channelOptions(shared));
    assert.equal(refusal?.reason, 'certificate');
    assert.equal(refusal?.nodeId, 'dp-node-1');
    assert.equal(refusal?.ip, '127.0.0.1');
    assert.equal(refusal?.commonName, 'turnpike_clustering');
    assert.match(refusal?.fingerprint ?? '', /^[0-9a-f]{64}$/);
    assert.match(refusal?.message ?? '', /not the cluster certificate/);
  });

  it('a data plane with another cluster certificate, which hangs up on ours, is reported; a bare TCP probe is not', async () => {
    const refusals: PeerRefusal[] = [];
    await using server = await startEchoServer(clusterGate(shared, { onRefused: (r) => refusals.push(r) }));
    const other = { mode: 'shared' as const, ...(await generateClusterCertificate({ days: 1 })) };
    await assert.rejects(echo(server.port, channelCredentials(other), channelOptions(other)));
    const probe = connect(server.port, '127.0.0.1');
    await once(probe, 'connect');
    probe.destroy();
    await reported(refusals);
    await new Promise((resolve) => setTimeout(resolve, 100)); // time for a wrong second report
    assert.equal(refusals.length, 1, JSON.stringify(refusals));
    assert.equal(refusals[0]?.reason, 'certificate');
    assert.equal(refusals[0]?.ip, '127.0.0.1');
    assert.match(refusals[0]?.message ?? '', /abandoned the TLS handshake .* does not trust it/);
  });

  it('a refused connection that makes no call is closed after a grace, and reported then', async () => {
    const refusals: PeerRefusal[] = [];
    const gate = clusterGate(shared, { onRefused: (r) => refusals.push(r), refusedConnectionGraceMs: 100 });
    await using server = await startEchoServer(gate);
    const stranger = await generateClusterCertificate({ days: 1 });
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: server.port,
      ca: cluster.certPem,
      cert: stranger.certPem,
      key: stranger.keyPem,
      servername: 'turnpike_clustering',
      ALPNProtocols: ['h2'],
      checkServerIdentity: () => undefined,
    });
    socket.on('error', () => {});
    socket.resume(); // read what the server sends (its HTTP/2 settings), so that its close is seen
    await once(socket, 'secureConnect');
    await once(socket, 'close');
    await reported(refusals); // the control plane's side of the close may come a moment after ours
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]?.nodeId, undefined);
    assert.equal(refusals[0]?.reason, 'certificate');
  });

  it('pki without cluster_allowed_common_names admits any CN the CA signed, as Kong’s open-source pki', async () => {
    const cpTls = { mode: 'pki' as const, ...cp, caPem: ca.certPem };
    await using server = await startEchoServer(clusterGate(cpTls));
    assert.equal(
      await echo(server.port, channelCredentials(toCp(dpOut)), channelOptions(toCp(dpOut))),
      'ping',
    );
  });

  it('pki_check_cn without cluster_allowed_common_names: a CN outside the control plane’s parent domain is refused', async () => {
    const cpTls = { mode: 'pki_check_cn' as const, ...cp, caPem: ca.certPem };
    await using server = await startEchoServer(clusterGate(cpTls));
    assert.equal(await echo(server.port, channelCredentials(toCp(dpIn)), channelOptions(toCp(dpIn))), 'ping');
    const [refusal] = await refusedBy(cpTls, channelCredentials(toCp(dpOut)), channelOptions(toCp(dpOut)));
    assert.equal(refusal?.reason, 'common_name');
    assert.equal(refusal?.commonName, 'dp-1.other.test');
    assert.equal(
      refusal?.message,
      'data plane presented client certificate with incorrect CN during handshake, got: dp-1.other.test',
    );
  });

  it('pki with cluster_allowed_common_names: only the listed CNs get in', async () => {
    const cpTls = { mode: 'pki' as const, ...cp, caPem: ca.certPem, allowedCommonNames: ['dp-1.other.test'] };
    await using server = await startEchoServer(clusterGate(cpTls));
    assert.equal(
      await echo(server.port, channelCredentials(toCp(dpOut)), channelOptions(toCp(dpOut))),
      'ping',
    );
    const [refusal] = await refusedBy(cpTls, channelCredentials(toCp(dpIn)), channelOptions(toCp(dpIn)));
    assert.equal(refusal?.reason, 'common_name');
    assert.equal(refusal?.commonName, 'dp-1.cluster.test');
  });

  it('pki: a certificate another CA signed is refused for its certificate, whatever its CN', async () => {
    const cpTls = { mode: 'pki' as const, ...cp, caPem: ca.certPem };
    const otherCa = await makeAuthority('Other CA');
    const stranger = await issue(otherCa, 'dp-9.cluster.test');
    const creds = presenting(ca.certPem, stranger);
    const [refusal] = await refusedBy(cpTls, creds, { 'grpc.ssl_target_name_override': 'cp.cluster.test' });
    assert.equal(refusal?.reason, 'certificate');
    assert.equal(refusal?.commonName, 'dp-9.cluster.test', 'the log can say which certificate it was');
    assert.match(refusal?.message ?? '', /not signed by cluster_ca_cert/);
  });
});

describe('cluster_mtls = off', () => {
  it('talks plain text, with no certificate needed', async () => {
    await using server = await startEchoServer(clusterGate({ mode: 'off' }));
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
      problemKeys(() => clusterGate({ mode: 'pki', ...cluster })),
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
      problemKeys(() => clusterGate({ mode: 'shared', certPem: cluster.certPem, keyPem: other.keyPem })),
      ['cluster_cert_key: does not match cluster_cert'],
    );
  });

  it('text that is not PEM is refused, naming the key', () => {
    assert.deepEqual(
      problemKeys(() => clusterGate({ mode: 'shared', certPem: 'nonsense', keyPem: 'nonsense' })),
      [
        'cluster_cert: failed loading certificate: not a PEM X.509 certificate',
        'cluster_cert_key: failed loading key: not a PEM private key',
      ],
    );
  });

  it('names where each setting came from when told', () => {
    try {
      clusterGate({
        mode: 'shared',
        certPem: 'nonsense',
        sources: { cluster_cert: 'TURNPIKE_CLUSTER_CERT', cluster_cert_key: 'turnpike.conf:7' },
      });
      assert.fail('expected ConfigInvalidError');
    } catch (error) {
      assert.ok(error instanceof ConfigInvalidError);
      assert.deepEqual(
        error.problems.map((p) => `${p.key} (from ${p.source})`),
        ['cluster_cert (from TURNPIKE_CLUSTER_CERT)', 'cluster_cert_key (from turnpike.conf:7)'],
      );
    }
  });

  it('an unknown cluster_mtls mode is refused', () => {
    assert.deepEqual(
      problemKeys(() => clusterGate({ mode: 'tls' as 'off' })),
      ['cluster_mtls: expected one of: shared, pki, pki_check_cn, off, got "tls"'],
    );
  });
});
