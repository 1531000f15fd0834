/**
 * The proxy's access log (`proxy_access_log`): one line per finished request, in Kong's
 * `kong_log_format` (kong/templates/nginx_kong.lua: nginx's `combined` plus
 * `kong_request_id: "…"`), or, with `proxy_access_log_format = json`, one JSON object per line
 * with what Kong's log serializer names (request id, route, service, consumer, upstream address
 * and status, latencies). A WebSocket handshake gets its line when its connection closes (101 and
 * the bytes the tunnel sent the client). Formatting runs when the response closed; the write is buffered
 * (LogWriter), so the request never waits for it.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { combinedLine, type LogWriter, requestLine } from '@turnpike/shared/access-log';
import { CLIENT_CLOSED, type RequestEntry, type RequestObserver } from '../proxy/index.ts';

export type AccessLogFormat = 'kong' | 'json';

/** The status nginx logs: the one sent, or 499 when the client left first. */
export function loggedStatus(res: ServerResponse): number {
  return res.writableFinished ? res.statusCode : CLIENT_CLOSED;
}

/** Kong's latencies of a request, in whole ms: before the upstream, the upstream's, the total. */
export interface Latencies {
  readonly kong: number;
  readonly proxy: number;
  readonly request: number;
}

export function latenciesOf(entry: RequestEntry): Latencies {
  const request = Math.round(entry.endedAt - entry.startedAt);
  if (entry.upstreamSentAt === 0) return { kong: request, proxy: -1, request };
  const proxy = Math.round(entry.upstreamAnsweredAt - entry.upstreamSentAt);
  // Kong's kong latency: before the upstream call, plus after its answer (plugins' header/body phases).
  const kong = Math.max(0, request - Math.max(0, proxy));
  return { kong, proxy, request };
}

/** One `kong_log_format` line, without its newline. */
export function kongLogLine(entry: RequestEntry, req: IncomingMessage, status: number): string {
  const address = entry.prepared?.clientIp ?? req.socket.remoteAddress ?? '-';
  return `${combinedLine(req, address, status, entry.bodyBytes)} kong_request_id: "${entry.requestId}"`;
}

/** One JSON line's object. */
export function jsonLogRecord(entry: RequestEntry, req: IncomingMessage, status: number): object {
  const prepared = entry.prepared;
  const route = prepared?.found.route;
  const service = prepared?.found.service;
  const consumerId = prepared?.consumerId;
  return {
    request_id: entry.requestId,
    started_at: Math.round(performance.timeOrigin + entry.startedAt),
    client_ip: prepared?.clientIp ?? req.socket.remoteAddress,
    request: {
      method: req.method,
      uri: req.url,
      http_version: req.httpVersion,
      request_line: requestLine(req),
    },
    response: { status, size: entry.bodyBytes },
    route: route === undefined ? null : { id: route.id, name: route.name ?? null },
    service: service === undefined ? null : { id: service.id, name: service.name ?? null },
    consumer: consumerId === undefined ? null : { id: consumerId },
    upstream_addr: entry.upstreamAddress === '' ? null : entry.upstreamAddress,
    upstream_status: entry.upstreamStatus === 0 ? null : entry.upstreamStatus,
    latencies: latenciesOf(entry),
  };
}

export class ProxyAccessLog implements RequestObserver {
  readonly writer: LogWriter;
  readonly #json: boolean;

  constructor(writer: LogWriter, format: AccessLogFormat) {
    this.writer = writer;
    this.#json = format === 'json';
  }

  requestDone(entry: RequestEntry, req: IncomingMessage, res: ServerResponse): void {
    this.#write(entry, req, loggedStatus(res));
  }

  /** A WebSocket handshake: one line when its connection closed (101 and the tunnel's bytes). */
  upgradeDone(entry: RequestEntry, req: IncomingMessage, status: number): void {
    this.#write(entry, req, status);
  }

  #write(entry: RequestEntry, req: IncomingMessage, status: number): void {
    const line = this.#json
      ? JSON.stringify(jsonLogRecord(entry, req, status))
      : kongLogLine(entry, req, status);
    this.writer.write(`${line}\n`);
  }
}
