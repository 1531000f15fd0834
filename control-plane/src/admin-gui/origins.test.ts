import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adminGuiOrigins, connectSources, contentSecurityPolicy, cspHeader } from './origins.ts';

const entry = (host: string, port: number, ssl = false) => ({ host, port, ssl });

describe('adminGuiOrigins', () => {
  it('takes the origins of admin_gui_url, without paths and default ports', () => {
    assert.deepEqual(
      adminGuiOrigins({ admin_gui_url: ['http://127.0.0.1:8003/manager', 'https://gui.example.test:443'] }, [
        entry('127.0.0.1', 8002),
      ]),
      ['http://127.0.0.1:8003', 'https://gui.example.test'],
    );
  });

  it('derives the origins from the listeners: loopback names for loopback and wildcard binds', () => {
    assert.deepEqual(
      adminGuiOrigins({ admin_gui_url: [] }, [entry('127.0.0.1', 8002), entry('::1', 8445, true)]),
      ['http://127.0.0.1:8002', 'http://localhost:8002', 'https://[::1]:8445', 'https://localhost:8445'],
    );
    assert.deepEqual(adminGuiOrigins({ admin_gui_url: [] }, [entry('0.0.0.0', 8002)]), [
      'http://127.0.0.1:8002',
      'http://localhost:8002',
      'http://[::1]:8002',
    ]);
    assert.deepEqual(adminGuiOrigins({ admin_gui_url: [] }, [entry('10.1.2.3', 80)]), ['http://10.1.2.3']);
  });
});

describe('connectSources and the CSP', () => {
  const ports = { http: 8001, https: 8444 };

  it('allows the Admin API on the page’s host at the admin ports when admin_gui_api_url is unset', () => {
    assert.deepEqual(connectSources(undefined, ports, 'gui.example.test:8002'), [
      "'self'",
      'http://gui.example.test:8001',
      'https://gui.example.test:8444',
    ]);
    assert.deepEqual(connectSources(undefined, { http: 8001, https: undefined }, '[::1]:8002'), [
      "'self'",
      'http://[::1]:8001',
    ]);
  });

  it('never repeats a Host header that is not a plain host', () => {
    assert.deepEqual(connectSources(undefined, ports, "evil.test; script-src 'unsafe-inline'"), ["'self'"]);
    assert.deepEqual(connectSources(undefined, ports, undefined), ["'self'"]);
  });

  it('allows admin_gui_api_url’s origin, or its host alone when it has no scheme', () => {
    assert.deepEqual(connectSources('https://api.example.test/admin', ports, 'x'), [
      "'self'",
      'https://api.example.test',
    ]);
    assert.deepEqual(connectSources('127.0.0.1:8001', ports, 'x'), ["'self'", '127.0.0.1:8001']);
  });

  it('allows no inline script or style and no framing', () => {
    const csp = contentSecurityPolicy(["'self'", 'http://a:8001']);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /style-src 'self';/);
    assert.match(csp, /connect-src 'self' http:\/\/a:8001;/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe/);
  });
});

describe('cspHeader: admin_gui_csp_header and admin_gui_csp_header_value', () => {
  const ports = { http: 8001, https: undefined };

  it("sends none when admin_gui_csp_header is off (Kong 3.10's default), even with a value", () => {
    assert.equal(cspHeader({ enabled: false }, undefined, ports, 'gui.test:8002', '127.0.0.1'), undefined);
    assert.equal(
      cspHeader({ enabled: false, value: "default-src 'self'" }, undefined, ports, 'gui.test', '127.0.0.1'),
      undefined,
    );
  });

  it("sends Turnpike's strict policy when on without a value", () => {
    assert.equal(
      cspHeader({ enabled: true }, undefined, ports, 'gui.test:8002', '127.0.0.1'),
      contentSecurityPolicy(["'self'", 'http://gui.test:8001']),
    );
  });

  it("sends the configured value, $host in both its nginx spellings as nginx's $host: the Host header's name, else the local address", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${host}, not a template
    const value = "connect-src 'self' http://$host:8001 https://${host}:8444; img-src 'self' $hostless";
    assert.equal(
      cspHeader({ enabled: true, value }, undefined, ports, 'GUI.Example.test:8002', '127.0.0.1'),
      "connect-src 'self' http://gui.example.test:8001 https://gui.example.test:8444; img-src 'self' $hostless",
    );
    assert.equal(
      cspHeader({ enabled: true, value: 'connect-src http://$host:8001' }, undefined, ports, 'a;b', '::1'),
      'connect-src http://[::1]:8001',
    );
    assert.equal(
      cspHeader(
        { enabled: true, value: 'connect-src http://$host:8001' },
        undefined,
        ports,
        undefined,
        '::ffff:10.0.0.1',
      ),
      'connect-src http://10.0.0.1:8001',
    );
  });
});
