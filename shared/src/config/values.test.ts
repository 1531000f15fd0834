import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isIpOrCidr,
  isLoopback,
  parseBoolean,
  parseHostPort,
  parseHttpUrl,
  parseInteger,
  parseList,
  parseSize,
  parseWorkers,
} from './values.ts';

const value = <T>(parsed: { ok: true; value: T } | { ok: false; reason: string }): T => {
  if (!parsed.ok) assert.fail(parsed.reason);
  return parsed.value;
};
const reason = (parsed: { ok: true } | { ok: false; reason: string }): string => {
  if (parsed.ok) assert.fail('expected a failure');
  return parsed.reason;
};

describe('parseBoolean', () => {
  it('reads on/true as true and off/false as false', () => {
    assert.equal(value(parseBoolean('on')), true);
    assert.equal(value(parseBoolean('true')), true);
    assert.equal(value(parseBoolean('off')), false);
    assert.equal(value(parseBoolean('false')), false);
  });

  it('rejects anything else, quoting the value', () => {
    assert.match(reason(parseBoolean('yes')), /invalid value 'yes': expected on, off, true or false/);
  });
});

describe('parseInteger', () => {
  it('reads integers within bounds', () => {
    assert.equal(value(parseInteger('5432', { minimum: 1, maximum: 65535 })), 5432);
  });

  it('rejects decimals, words and out-of-range values, stating the range', () => {
    assert.match(reason(parseInteger('54.3')), /invalid value '54.3': expected an integer/);
    assert.match(reason(parseInteger('abc')), /'abc'/);
    assert.match(reason(parseInteger('70000', { minimum: 1, maximum: 65535 })), /from 1 to 65535/);
    assert.match(reason(parseInteger('10', { minimum: 60 })), /of 60 or more/);
  });
});

describe('parseSize', () => {
  it('reads nginx sizes in bytes, with k, m and g as powers of 1024 in either case', () => {
    assert.equal(value(parseSize('0')), 0);
    assert.equal(value(parseSize('512')), 512);
    assert.equal(value(parseSize('8k')), 8192);
    assert.equal(value(parseSize('8K')), 8192);
    assert.equal(value(parseSize('1m')), 1048576);
    assert.equal(value(parseSize('2g')), 2 * 1024 ** 3);
  });

  it('rejects other units, decimals and negative sizes', () => {
    for (const bad of ['8kb', '1.5m', '-1', 'm', '1 m', '1t']) {
      assert.match(reason(parseSize(bad)), /expected a size such as 0, 512, 8k, 1m or 1g/, bad);
    }
  });
});

describe('parseList', () => {
  it('splits on commas, trims entries and drops empty ones', () => {
    assert.deepEqual(value(parseList(' a ,b,, c ,')), ['a', 'b', 'c']);
  });

  it('reads off alone as the empty list', () => {
    assert.deepEqual(value(parseList('off')), []);
  });

  it('rejects off mixed with other entries', () => {
    assert.match(reason(parseList('off, server_tokens')), /off cannot be combined/);
  });
});

describe('parseWorkers', () => {
  it('reads auto or a positive integer', () => {
    assert.equal(value(parseWorkers('auto')), 'auto');
    assert.equal(value(parseWorkers('4')), 4);
    assert.match(reason(parseWorkers('0')), /expected auto or a positive integer/);
  });
});

describe('addresses', () => {
  it('recognises IPs and CIDR blocks of both families', () => {
    for (const good of ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '::1', 'fd00::/8', '::/0']) {
      assert.equal(isIpOrCidr(good), true, good);
    }
    for (const bad of ['10.0.0.256', '10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/']) {
      assert.equal(isIpOrCidr(bad), false, bad);
    }
  });

  it('parses host:port with IPv4, names and bracketed IPv6', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:8005'), { host: '127.0.0.1', port: 8005 });
    assert.deepEqual(parseHostPort('cp.example.com:8005'), { host: 'cp.example.com', port: 8005 });
    assert.deepEqual(parseHostPort('[::1]:8005'), { host: '::1', port: 8005 });
    assert.equal(parseHostPort('::1:8005'), undefined);
    assert.equal(parseHostPort('127.0.0.1'), undefined);
    assert.equal(parseHostPort('127.0.0.1:99999'), undefined);
    assert.deepEqual(parseHostPort('8.8.8.8', { portOptional: true }), { host: '8.8.8.8' });
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) {
      assert.equal(isLoopback(host), true, host);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com'])
      assert.equal(isLoopback(host), false, host);
  });

  it('accepts http(s) URLs with host, port and path, and a scheme-less host:port only when asked', () => {
    for (const text of ['http://127.0.0.1:8002', 'https://kong-admin.test', 'http://localhost:8002/manager'])
      assert.equal(value(parseHttpUrl(text)), text);
    assert.equal(value(parseHttpUrl('0.0.0.0:8001', { schemeOptional: true })), '0.0.0.0:8001');
    assert.match(reason(parseHttpUrl('0.0.0.0:8001')), /expected http\(s\):\/\/host/);
    assert.match(reason(parseHttpUrl('ftp://a.test')), /scheme must be http or https/);
    assert.match(reason(parseHttpUrl('http://a.test/?x=1')), /invalid value/);
    assert.match(reason(parseHttpUrl('http://user:pw@a.test')), /invalid value/);
  });
});
