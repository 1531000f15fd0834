/**
 * The event-loop stall figure alone (sync-inprocess.ts stallFigure), repeated, without a cluster:
 *
 *   node test/bench/stall-alone.ts [routes,routes…] [runs] [deltas]     # default 10000,50000 3 5
 *
 * The service and route templates stand for what the control plane stores (Kong's defaults);
 * the figure replaces ids, names, paths and the upstream. Node flags go before the script, e.g.
 * `node --max-semi-space-size=1 test/bench/stall-alone.ts` to see what the young generation's size
 * does to the load's GC pauses.
 */

import { randomUUID } from 'node:crypto';
import { Report } from './report.ts';
import { stallFigure } from './sync-inprocess.ts';

const [sizesArg = '10000,50000', runsArg = '3', deltasArg = '5'] = process.argv.slice(2);
const now = Math.floor(Date.now() / 1000);
const service = {
  id: randomUUID(),
  name: 'bench',
  protocol: 'http',
  host: '127.0.0.1',
  port: 80,
  path: null,
  retries: 5,
  connect_timeout: 60_000,
  write_timeout: 60_000,
  read_timeout: 60_000,
  enabled: true,
  tags: null,
  created_at: now,
  updated_at: now,
  client_certificate: null,
  tls_verify: null,
  tls_verify_depth: null,
  ca_certificates: null,
};
const route = {
  id: randomUUID(),
  name: 'bg-0',
  protocols: ['http', 'https'],
  methods: null,
  hosts: null,
  paths: ['/bg/0'],
  headers: null,
  https_redirect_status_code: 426,
  regex_priority: 0,
  strip_path: true,
  path_handling: 'v0',
  preserve_host: false,
  request_buffering: true,
  response_buffering: true,
  tags: null,
  service: { id: service.id },
  created_at: now,
  updated_at: now,
  snis: null,
  sources: null,
  destinations: null,
};
const report = new Report('stall');
for (const routes of sizesArg.split(',').map(Number)) {
  for (let run = 0; run < Number(runsArg); run++) {
    await stallFigure(report, { service, route }, routes, Number(deltasArg));
  }
}
