/**
 * The `grpc` / `grpcs` active probe: one unary `grpc.health.v1.Health/Check` over HTTP/2 (h2c for
 * `grpc`, TLS with ALPN h2 for `grpcs`), for the whole server (`service: ""`: Kong's schema has no
 * field naming a service). SERVING is a success; any other serving status, a non-zero
 * `grpc-status` or an HTTP status other than 200 is an http failure; no connection is a tcp failure.
 *
 * Kong accepts these types but lua-resty-healthcheck sends them the same HTTP/1.0 GET as `http`
 * (which a gRPC server cannot answer); this asks the gRPC health protocol instead.
 */

import { connect, constants } from 'node:http2';
import { isIP } from 'node:net';
import { HealthCheckRequest, HealthCheckResponse, HealthCheckResponse_ServingStatus } from '@turnpike/proto';
import type { Peer } from './peer.ts';
import type { ActiveChecks } from './types.ts';

export type GrpcProbeOutcome = 'serving' | 'http' | 'tcp';

const REQUEST = frame(HealthCheckRequest.encode({ service: '' }).finish());

function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Reads the serving status from a length-prefixed gRPC message; undefined when malformed. */
export function servingStatus(body: Buffer): number | undefined {
  if (body.length < 5 || body[0] !== 0) return undefined;
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return undefined;
  try {
    return HealthCheckResponse.decode(body.subarray(5, 5 + length)).status;
  } catch {
    return undefined;
  }
}

/**
 * Resolves with the outcome; `cancel` (the caller's timeout) destroys the session. Never rejects.
 */
export function grpcProbe(
  peer: Peer,
  checks: ActiveChecks,
  host: string,
  done: (outcome: GrpcProbeOutcome) => void,
): (err: Error) => void {
  const tls = checks.type === 'grpcs';
  const authority = peer.ip.includes(':') ? `[${peer.ip}]:${peer.port}` : `${peer.ip}:${peer.port}`;
  const session = connect(`${tls ? 'https' : 'http'}://${authority}`, {
    ...(tls
      ? {
          rejectUnauthorized: checks.verifyCertificate,
          servername: checks.httpsSni ?? (isIP(peer.hostname) === 0 ? peer.hostname : undefined),
          ALPNProtocols: ['h2'],
        }
      : {}),
  });
  let connected = false;
  const finish = (outcome: GrpcProbeOutcome) => {
    done(outcome);
    session.destroy();
  };
  session.on('connect', () => {
    connected = true;
  });
  session.on('error', () => finish(connected ? 'http' : 'tcp'));
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < checks.headers.length; i += 2) {
    const name = checks.headers[i]!.toLowerCase();
    const value = checks.headers[i + 1]!;
    const prior = headers[name];
    headers[name] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  const stream = session.request({
    ...headers,
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
    [constants.HTTP2_HEADER_AUTHORITY]: host,
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  let status = 0;
  let grpcStatus: string | undefined;
  const chunks: Buffer[] = [];
  stream.on('response', (h) => {
    status = Number(h[constants.HTTP2_HEADER_STATUS]);
    const early = h['grpc-status'];
    if (early !== undefined) grpcStatus = String(early);
  });
  stream.on('trailers', (t) => {
    const value = t['grpc-status'];
    if (value !== undefined) grpcStatus = String(value);
  });
  stream.on('data', (chunk: Buffer) => {
    if (chunks.length < 16) chunks.push(chunk);
  });
  stream.on('error', () => finish(connected ? 'http' : 'tcp'));
  stream.on('end', () => {
    const serving =
      status === 200 &&
      grpcStatus === '0' &&
      servingStatus(Buffer.concat(chunks)) === HealthCheckResponse_ServingStatus.SERVING;
    finish(serving ? 'serving' : 'http');
  });
  stream.end(REQUEST);
  return (err) => session.destroy(err);
}
