import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { searchNames } from './dns.ts';
import { parseHostsFile, parseResolvConf } from './dns-files.ts';

describe('the DNS files, as Kong reads them', () => {
  it('reads a hosts file: lowercase names, aliases, the first address of each family, localhost added', () => {
    const hosts = parseHostsFile(
      '127.0.0.1 localhost\n# a comment\n10.0.0.1 Web.Local web # inline\n10.0.0.2 web\nfd00::1 web\nnot-an-ip skipped\n',
    );
    assert.deepEqual(hosts.get('web.local'), { ipv4: '10.0.0.1' });
    assert.deepEqual(hosts.get('web'), { ipv4: '10.0.0.1', ipv6: 'fd00::1' });
    assert.equal(hosts.has('skipped'), false);
    assert.deepEqual(parseHostsFile('').get('localhost'), { ipv4: '127.0.0.1', ipv6: '::1' });
  });

  it("reads resolv.conf's search list and ndots, the last of search and domain winning", () => {
    assert.deepEqual(
      parseResolvConf(
        'nameserver 10.96.0.10\nsearch ns.svc.cluster.local svc.cluster.local\noptions ndots:5 timeout:2\n',
      ),
      { search: ['ns.svc.cluster.local', 'svc.cluster.local'], ndots: 5 },
    );
    assert.deepEqual(parseResolvConf('search a.test\ndomain b.test\n'), { search: ['b.test'], ndots: 1 });
    assert.deepEqual(parseResolvConf(''), { search: [], ndots: 1 });
  });

  it('tries search names first for a name with fewer dots than ndots, the bare name first otherwise', () => {
    const settings = { search: ['ns.svc', 'svc'], ndots: 2, hosts: new Map() };
    assert.deepEqual(searchNames('api', settings), ['api.ns.svc', 'api.svc', 'api']);
    assert.deepEqual(searchNames('api.example.com', settings), [
      'api.example.com',
      'api.example.com.ns.svc',
      'api.example.com.svc',
    ]);
    assert.deepEqual(searchNames('api.', settings), ['api'], 'a trailing dot: no search');
    const inHosts = { ...settings, hosts: new Map([['api', { ipv4: '10.0.0.1' }]]) };
    assert.deepEqual(searchNames('api', inHosts)[0], 'api', 'a hosts file name is asked bare first');
  });
});
