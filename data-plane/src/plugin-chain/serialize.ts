/**
 * Kong's log serializer (kong/pdk/log.lua `serialize()`, http subsystem) over one request's run:
 * what `ctx.serialize()` gives the log phase. Built once per request, on the first call.
 */

import type { OutgoingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type {
  PluginConsumer,
  PluginCredential,
  SerializedRecord,
  SerializedTls,
  SerializedTry,
} from '@turnpike/plugin-sdk';
import { requestBytes, responseBytes } from '../observability/wire-bytes.ts';
import type { ChainRequest } from '../runtime/plugin-chain.ts';

const REDACTED = 'REDACTED';

function round(ms: number): number {
  return Math.max(0, Math.round(ms));
}

/** Kong's kong.request.get_query(): repeated keys as arrays, a bare key (`?a`) as true. */
function queryTable(query: string): Record<string, string | true | (string | true)[]> {
  const out: Record<string, string | true | (string | true)[]> = {};
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    let key: string;
    let value: string | true;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
      value = eq === -1 ? true : decodeURIComponent(part.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      key = rawKey;
      value = eq === -1 ? true : part.slice(eq + 1);
    }
    const prior = out[key];
    if (prior === undefined) out[key] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[key] = [prior, value];
  }
  return out;
}

function requestHeaders(chain: ChainRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const raw = chain.req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = name === 'authorization' || name === 'proxy-authorization' ? REDACTED : raw[i + 1]!;
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = [prior, value];
  }
  return out;
}

/** The headers sent (as the header phase left them), then any the proxy set on `res` itself. */
function responseHeaders(
  sent: readonly string[],
  own: OutgoingHttpHeaders,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < sent.length; i += 2) {
    const name = sent[i]!.toLowerCase();
    const value = sent[i + 1]!;
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = [prior, value];
  }
  for (const name in own) {
    const value = own[name];
    if (value === undefined || out[name] !== undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/**
 * Kong's `build_tls_info` of a terminated TLS connection: the protocol, the cipher as nginx's
 * `$ssl_cipher` names it (OpenSSL's name: node's `getCipher().name`), and `$ssl_client_verify`
 * (NONE without a client certificate).
 */
export function tlsOf(socket: TLSSocket): SerializedTls | undefined {
  if (typeof socket.getCipher !== 'function') return undefined;
  const cert = socket.getPeerCertificate?.();
  const hasCert = cert !== undefined && cert !== null && Object.keys(cert).length > 0;
  return {
    version: socket.getProtocol?.() ?? '',
    cipher: socket.getCipher()?.name ?? '',
    client_verify: !hasCert ? 'NONE' : socket.authorized ? 'SUCCESS' : 'FAILED',
  };
}

function tlsInfo(chain: ChainRequest): SerializedTls | undefined {
  return chain.scheme === 'https' ? tlsOf(chain.req.socket as TLSSocket) : undefined;
}

function hostOf(address: string): { ip: string; port: number } {
  const colon = address.lastIndexOf(':');
  const ip = address.slice(0, colon);
  return { ip: ip.startsWith('[') ? ip.slice(1, -1) : ip, port: Number(address.slice(colon + 1)) };
}

/** The record of one request, its response closed. */
export function serializeRequest(
  chain: ChainRequest,
  consumer: PluginConsumer | undefined,
  credential: PluginCredential | undefined,
  exited: boolean,
  sentHeaders: readonly string[],
): SerializedRecord {
  const { req, res } = chain;
  const facts = chain.facts;
  const startedAt = chain.startedAt ?? performance.now();
  const endedAt = facts !== undefined && facts.endedAt > 0 ? facts.endedAt : performance.now();
  const total = endedAt - startedAt;
  const proxy =
    facts !== undefined && facts.upstreamAnsweredAt > 0 && facts.upstreamSentAt > 0
      ? round(facts.upstreamAnsweredAt - facts.upstreamSentAt)
      : -1;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const uri = q === -1 ? chain.path : chain.path + url.slice(q);
  const host = req.headers.host ?? `${req.socket.localAddress ?? ''}:${req.socket.localPort ?? ''}`;
  const hostWithPort = /:\d+$/.test(host) ? host : `${host}:${req.socket.localPort ?? ''}`;
  const answered = facts !== undefined && facts.upstreamStatus > 0;
  const address = facts?.upstreamAddress ?? '';
  const tls = tlsInfo(chain);
  const record: Record<string, unknown> = {
    request: {
      id: chain.requestId,
      uri,
      url: `${chain.scheme}://${hostWithPort}${uri}`,
      querystring: queryTable(chain.query),
      method: req.method ?? 'GET',
      headers: requestHeaders(chain),
      size: requestBytes(req),
      ...(tls === undefined ? {} : { tls }),
    },
    upstream_uri: chain.upstream?.upstreamTarget() ?? '',
    upstream_status: answered ? String(facts.upstreamStatus) : '',
    response: {
      status: res.statusCode,
      headers: responseHeaders(sentHeaders, res.getHeaders()),
      size: responseBytes(res, facts?.bodyBytes ?? 0),
    },
    latencies: {
      kong: proxy === -1 ? round(total) : Math.max(0, round(total) - proxy),
      proxy,
      request: round(total),
      receive: 0,
    },
    client_ip: chain.clientIp,
    started_at: Math.round(performance.timeOrigin + startedAt),
    source: answered && !exited ? 'upstream' : 'kong',
    workspace_name: 'default',
  };
  const failed = facts?.failedTries ?? [];
  if (address !== '' || failed.length > 0) {
    const epoch = performance.timeOrigin;
    const tries: SerializedTry[] = failed.map((t) => ({
      ip: t.ip,
      port: t.port,
      balancer_start: Math.round(epoch + t.startedAt),
      balancer_latency: 0,
      state: 'failed',
      code: t.code,
    }));
    if (address !== '') {
      const sentAt = facts?.upstreamSentAt ?? 0;
      tries.push({ ...hostOf(address), balancer_start: Math.round(epoch + sentAt), balancer_latency: 0 });
    }
    record.tries = tries;
  }
  if (credential !== undefined) {
    const consumerId = credential.consumer?.id ?? consumer?.id;
    record.authenticated_entity =
      consumerId === undefined ? { id: credential.id } : { id: credential.id, consumer_id: consumerId };
  }
  record.route = chain.match.route;
  if (chain.match.service !== undefined) record.service = chain.match.service;
  if (consumer !== undefined) record.consumer = consumer;
  return record as unknown as SerializedRecord;
}
