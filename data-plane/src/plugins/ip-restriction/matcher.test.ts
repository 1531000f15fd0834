import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockList, listed } from './matcher.ts';
import { validateIpOrCidr } from './schema.ts';

describe('ip-restriction lists', () => {
  it('match addresses and ranges of both families; an IPv4-mapped IPv6 client as its IPv4 address', () => {
    const list = blockList(['10.0.0.0/8', '192.168.1.1', '2001:db8::/32', '::1'])!;
    assert.equal(listed(list, '10.200.0.1'), true);
    assert.equal(listed(list, '::ffff:10.200.0.1'), true);
    assert.equal(listed(list, '192.168.1.1'), true);
    assert.equal(listed(list, '192.168.1.2'), false);
    assert.equal(listed(list, '2001:db8:ffff::1'), true);
    assert.equal(listed(list, '::1'), true);
    assert.equal(listed(list, '::2'), false);
  });

  it('take no part when absent or empty', () => {
    assert.equal(blockList(undefined), undefined);
    assert.equal(blockList(null), undefined);
    assert.equal(blockList([]), undefined);
  });

  it("validate as Kong's typedefs.ip_or_cidr", () => {
    for (const ok of ['127.0.0.1', '0.0.0.0/0', '10.0.0.0/32', '::/0', '::1/128', '2001:db8::/32'])
      assert.equal(validateIpOrCidr(ok), undefined, ok);
    for (const bad of [
      'hello',
      '0.0.0.0/a',
      '0.0.0.0/-1',
      '0.0.0.0/33',
      '::/129',
      '::1/a',
      '1.2.3.4/8/8',
      '',
    ])
      assert.equal(validateIpOrCidr(bad), `invalid ip or cidr range: '${bad}'`, bad);
  });
});
