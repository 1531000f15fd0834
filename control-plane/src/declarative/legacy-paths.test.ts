import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migrateLegacyDocument, migrateLegacyPath, normalizeUri } from './legacy-paths.ts';

describe('migrateLegacyPath (Kong’s migrate_path_280_300)', () => {
  test('a path of plain characters only is normalised, not turned into a regex', () => {
    assert.equal(migrateLegacyPath('/prefix'), '/prefix');
    assert.equal(migrateLegacyPath('/api/v1/health-check'), '/api/v1/health-check');
    assert.equal(migrateLegacyPath('/a/./b/../c'), '/a/c');
    assert.equal(migrateLegacyPath('/a//b'), '/a/b');
    // Unreserved triplets are decoded, reserved ones kept (upper-cased).
    assert.equal(migrateLegacyPath('/caf%c3%a9/%7euser/a%2fb'), '/café/~user/a%2Fb');
  });

  test('anything else was a regex before 3.0 and gets the ~ prefix', () => {
    assert.equal(migrateLegacyPath('/regex.+'), '~/regex.+');
    assert.equal(migrateLegacyPath('/users/(?<id>\\d+)'), '~/users/(?<id>\\d+)');
    assert.equal(migrateLegacyPath('/media/[0-9a-f]+'), '~/media/[0-9a-f]+');
    // Not only regex syntax: any character outside [a-zA-Z0-9.\-_~/%] (Kong's heuristic).
    assert.equal(migrateLegacyPath('/v1/users:batch'), '~/v1/users:batch');
    assert.equal(migrateLegacyPath('/with space'), '~/with space');
  });

  test('a regex’s triplets are decoded one last time, metacharacters escaped, reserved kept', () => {
    assert.equal(migrateLegacyPath('/a%2Eb(x)'), '~/a\\.b(x)');
    assert.equal(migrateLegacyPath('/a%2db%7C(x)'), '~/a\\-b\\|(x)');
    assert.equal(migrateLegacyPath('/a%2fb%41(x)'), '~/a%2FbA(x)');
  });

  test('normalizeUri leaves the simple cases alone', () => {
    assert.equal(normalizeUri(''), '');
    assert.equal(normalizeUri('/'), '/');
    assert.equal(normalizeUri('/..'), '/');
    assert.equal(normalizeUri('/a/b/..'), '/a/');
  });
});

describe('migrateLegacyDocument (Kong’s route_path on-the-fly migration)', () => {
  const legacy = (version: string) => ({
    _format_version: version,
    routes: [{ name: 'top', paths: ['/regex.+', '/prefix'] }],
    services: [{ name: 's', host: 'x', routes: [{ name: 'nested', paths: ['/n(.*)'] }] }],
  });

  for (const version of ['1.1', '2.1']) {
    test(`a ${version} file: top-level and service-nested routes migrated, the file read as 3.0`, () => {
      const input = legacy(version);
      const doc = migrateLegacyDocument(input) as ReturnType<typeof legacy>;
      assert.equal(doc._format_version, '3.0');
      assert.deepEqual(doc.routes[0]?.paths, ['~/regex.+', '/prefix']);
      assert.deepEqual(doc.services[0]?.routes[0]?.paths, ['~/n(.*)']);
      assert.deepEqual(input.routes[0]?.paths, ['/regex.+', '/prefix'], 'the input is left as it was');
    });
  }

  test('a 3.0 file (or any other version) is left as it is', () => {
    const input = legacy('3.0');
    assert.equal(migrateLegacyDocument(input), input);
    const other = legacy('2.0');
    assert.equal(migrateLegacyDocument(other), other);
  });
});
