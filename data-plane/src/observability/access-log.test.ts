import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { RequestEntry } from '../proxy/index.ts';
import { jsonLogRecord, kongLogLine, latenciesOf, loggedStatus } from './access-log.ts';

const ID = '0123456789abcdef0123456789abcdef';

function entry(times: Partial<RequestEntry>): RequestEntry {
  const e = new RequestEntry(ID, 100, { requestDone() {} });
  return Object.assign(e, times);
}

const req = {
  method: 'GET',
  url: '/a?b=1',
  httpVersion: '1.1',
  headers: { 'user-agent': 'curl/8', referer: 'http://r.test/' },
  socket: { remoteAddress: '10.0.0.9' },
} as unknown as IncomingMessage;

describe('the proxy access log', () => {
  it("writes Kong's kong_log_format, with 499 for a client that left first", () => {
    const done = entry({ endedAt: 110, bodyBytes: 42 });
    const finished = { writableFinished: true, statusCode: 404 } as unknown as ServerResponse;
    assert.match(
      kongLogLine(done, req, loggedStatus(finished)),
      /^10\.0\.0\.9 - - \[[^\]]+\] "GET \/a\?b=1 HTTP\/1\.1" 404 42 "http:\/\/r\.test\/" "curl\/8" kong_request_id: "0123456789abcdef0123456789abcdef"$/,
    );
    const gone = { writableFinished: false, statusCode: 200 } as unknown as ServerResponse;
    assert.match(kongLogLine(done, req, loggedStatus(gone)), /" 499 42 "/);
  });

  it("splits latencies as Kong's serializer: the upstream's, the rest, the total; -1 without an upstream", () => {
    assert.deepEqual(latenciesOf(entry({ upstreamSentAt: 102, upstreamAnsweredAt: 107, endedAt: 110 })), {
      kong: 5,
      proxy: 5,
      request: 10,
    });
    assert.deepEqual(latenciesOf(entry({ endedAt: 103 })), { kong: 3, proxy: -1, request: 3 });
  });

  it('leaves route, service, consumer and upstream null for a request no route took', () => {
    const record = jsonLogRecord(
      entry({ endedAt: 101 }),
      req,
      loggedStatus({ writableFinished: true, statusCode: 404 } as unknown as ServerResponse),
    ) as Record<string, unknown>;
    assert.equal(record.request_id, ID);
    assert.equal(record.client_ip, '10.0.0.9');
    assert.deepEqual(
      [record.route, record.service, record.consumer, record.upstream_addr, record.upstream_status],
      [null, null, null, null, null],
    );
  });
});
