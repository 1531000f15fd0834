import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPlugins, checkVersion } from './compatibility.ts';

describe('checkVersion', () => {
  it('serves a data plane on the same major and the same or an older minor', () => {
    assert.equal(checkVersion('1.4.2', '1.4.0'), undefined);
    assert.equal(checkVersion('1.4.2', '1.0.9'), undefined);
  });

  it('refuses another major version, naming the accepted range as Kong does', () => {
    assert.deepEqual(checkVersion('1.4.2', '2.0.0'), {
      syncStatus: 'turnpike_version_incompatible',
      message:
        'data plane version 2.0.0 is incompatible with control plane version 1.4.2 (1.x.y are accepted)',
    });
  });

  it('refuses a data plane on a newer minor than its control plane', () => {
    assert.equal(checkVersion('1.4.2', '1.5.0')?.syncStatus, 'turnpike_version_incompatible');
  });

  it('refuses a version that is not semver', () => {
    assert.match(checkVersion('1.4.2', 'dev')?.message ?? '', /not a semantic version/);
  });
});

describe('checkPlugins', () => {
  it('accepts a data plane with every plugin the config uses', () => {
    assert.equal(
      checkPlugins(['acl', 'key-auth'], [{ name: 'key-auth' }, { name: 'acl' }, { name: 'cors' }]),
      undefined,
    );
  });

  it('names every plugin the data plane lacks', () => {
    assert.deepEqual(checkPlugins(['acl', 'key-auth', 'cors'], [{ name: 'cors' }]), {
      syncStatus: 'plugin_set_incompatible',
      message: 'the configuration uses plugins acl, key-auth, not installed on the data plane',
    });
  });
});
