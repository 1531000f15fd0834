import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHey, parseWrk } from './load.ts';

// Outputs of Debian's wrk 4.1.0 and hey 0.1.4, trimmed of nothing but trailing blank lines.
const WRK_OK = `Running 1s test @ http://127.0.0.1:18999/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.79ms   10.67ms  77.96ms   94.57%
    Req/Sec    51.44k    21.52k   71.88k    81.82%
  Latency Distribution
     50%  150.00us
     75%  220.00us
     90%    2.49ms
     99%   64.57ms
  56131 requests in 1.11s, 6.80MB read
Requests/sec:  50507.68
Transfer/sec:      6.12MB
`;

const WRK_404 = `Running 1s test @ http://127.0.0.1:18999/x
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   281.96us  607.41us   7.77ms   94.68%
    Req/Sec    60.77k     7.16k   69.47k    60.00%
  Latency Distribution
     50%  144.00us
     75%  164.00us
     90%  323.00us
     99%    3.45ms
  60454 requests in 1.01s, 7.73MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 60454
Requests/sec:  60111.19
Transfer/sec:      7.68MB
`;

const HEY_OK = `
Summary:
  Total:\t1.0089 secs
  Slowest:\t0.0048 secs
  Fastest:\t0.0002 secs
  Average:\t0.0008 secs
  Requests/sec:\t495.5875
  
  Total data:\t2500 bytes
  Size/request:\t5 bytes

Response time histogram:
  0.000 [1]\t|
  0.001 [300]\t|■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■

Latency distribution:
  10% in 0.0003 secs
  25% in 0.0004 secs
  50% in 0.0005 secs
  75% in 0.0009 secs
  90% in 0.0012 secs
  95% in 0.0017 secs
  99% in 0.0047 secs

Details (average, fastest, slowest):
  DNS+dialup:\t0.0000 secs, 0.0002 secs, 0.0048 secs
  resp read:\t0.0000 secs, 0.0000 secs, 0.0002 secs

Status code distribution:
  [200]\t480 responses
  [401]\t20 responses
`;

const HEY_REFUSED = `
Summary:
  Total:\t1.0050 secs
  Slowest:\t0.0000 secs
  Fastest:\t0.0000 secs
  Average:\t NaN secs
  Requests/sec:\t99.4998
  

Response time histogram:


Latency distribution:

Status code distribution:

Error distribution:
  [100]\tGet "http://127.0.0.1:18998/": dial tcp 127.0.0.1:18998: connect: connection refused
`;

test('wrk: throughput, latency quantiles in ms whatever the unit, and request count', () => {
  assert.deepEqual(parseWrk(WRK_OK), { rps: 50507.68, p50: 0.15, p99: 64.57, requests: 56131, errors: 0 });
});

test('wrk: non-2xx answers and socket errors both count as errors', () => {
  const figures = parseWrk(WRK_404);
  assert.equal(figures.errors, 60454 + 5);
  assert.equal(figures.p99, 3.45);
});

test('wrk: output without Requests/sec is a failed run, not a zero', () => {
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /no Requests\/sec/);
});

test('hey: the achieved rate, quantiles in ms, and answers other than 2xx as errors', () => {
  const figures = parseHey(HEY_OK);
  assert.equal(figures.rps, 495.5875);
  assert.ok(Math.abs(figures.p50 - 0.5) < 1e-9);
  assert.ok(Math.abs(figures.p99 - 4.7) < 1e-9);
  assert.equal(figures.requests, 500);
  assert.equal(figures.errors, 20);
});

test('hey: transport errors are counted, and missing quantiles are NaN', () => {
  const figures = parseHey(HEY_REFUSED);
  assert.equal(figures.errors, 100);
  assert.equal(figures.requests, 100);
  assert.ok(Number.isNaN(figures.p99));
});
