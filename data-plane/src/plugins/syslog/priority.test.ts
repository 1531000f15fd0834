import assert from 'node:assert/strict';
import { test } from 'node:test';
import { syslogPriority } from './priority.ts';
import type { SyslogConfig } from './schema.ts';

const conf = (extra: Partial<SyslogConfig>): SyslogConfig =>
  ({
    log_level: 'info',
    successful_severity: 'info',
    client_errors_severity: 'info',
    server_errors_severity: 'info',
    facility: 'user',
    ...extra,
  }) as SyslogConfig;

test("syslog priorities: the status picks the severity, log_level filters, facility × 8 (Kong's handler.lua)", () => {
  const c = conf({
    successful_severity: 'notice',
    client_errors_severity: 'warning',
    server_errors_severity: 'err',
    facility: 'local3',
  });
  assert.equal(syslogPriority(c, 200), 19 * 8 + 5);
  assert.equal(syslogPriority(c, 404), 19 * 8 + 4);
  assert.equal(syslogPriority(c, 503), 19 * 8 + 3);
  // log_level err lets only err and more urgent through.
  const strict = conf({ log_level: 'err', successful_severity: 'warning', server_errors_severity: 'crit' });
  assert.equal(syslogPriority(strict, 200), undefined);
  assert.equal(syslogPriority(strict, 500), 1 * 8 + 2);
  assert.equal(syslogPriority(conf({}), 200), 8 + 6);
});
