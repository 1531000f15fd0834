import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonNameCheck, firstCommonName, parentDomain } from './common-name.ts';

describe('commonNameCheck (cluster_allowed_common_names, Kong’s pki_check_cn)', () => {
  it('admits exactly the listed names when the list is set', () => {
    const admits = commonNameCheck(['dp-1.cluster.test', 'edge'], 'cp.cluster.test');
    assert.equal(admits('dp-1.cluster.test'), true);
    assert.equal(admits('edge'), true);
    assert.equal(admits('dp-2.cluster.test'), false, 'same parent domain, but not listed');
    assert.equal(admits('DP-1.cluster.test'), false, 'compared as Kong does: exactly');
  });

  it('unset, admits names sharing the parent domain of the control plane’s CN', () => {
    const admits = commonNameCheck([], 'cp.cluster.test');
    assert.equal(admits('dp-1.cluster.test'), true);
    assert.equal(admits('a.cluster.test'), true);
    assert.equal(admits('dp-1.other.test'), false);
    assert.equal(admits('cluster.test'), false, 'the parent domain itself has another parent');
    assert.equal(admits('x.dp-1.cluster.test'), false, 'a grandchild has another parent');
    assert.equal(admits('*.cluster.test'), false, 'a data plane CN may not be a wildcard');
  });

  it('unset in pki (no parent domain rule), admits any CN, as Kong’s open-source pki', () => {
    const admits = commonNameCheck([], 'cp.cluster.test', false);
    assert.equal(admits('dp-1.elsewhere.test'), true);
    assert.equal(
      commonNameCheck(['edge'], 'cp.cluster.test', false)('dp-1.cluster.test'),
      false,
      'a list is enforced',
    );
  });

  it('takes the control plane’s parent domain from a wildcard CN too', () => {
    assert.equal(parentDomain('*.cluster.test'), 'cluster.test');
    assert.equal(commonNameCheck([], '*.cluster.test')('dp.cluster.test'), true);
  });

  it('lets single-label names agree with each other, as Kong’s nil == nil does', () => {
    const admits = commonNameCheck([], 'control-plane');
    assert.equal(admits('data-plane-1'), true);
    assert.equal(admits('dp.cluster.test'), false);
    assert.equal(commonNameCheck([], 'turnpike_clustering')('dp.cluster.test'), false);
  });
});

describe('firstCommonName', () => {
  it('reads node:tls subjects and node:crypto subject text', () => {
    assert.equal(firstCommonName({ CN: 'dp-1', O: 'x' }), 'dp-1');
    assert.equal(firstCommonName({ CN: ['dp-1', 'dp-2'] }), 'dp-1');
    assert.equal(firstCommonName('O=Acme\nCN=dp-1.cluster.test'), 'dp-1.cluster.test');
    assert.equal(firstCommonName({ O: 'no cn' }), undefined);
    assert.equal(firstCommonName(undefined), undefined);
  });
});
