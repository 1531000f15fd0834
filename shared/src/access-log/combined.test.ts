import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logValue, remoteUser } from './combined.ts';
import { formatTimeLocal } from './time-local.ts';

describe('nginx log values', () => {
  it('are `-` when empty, kept when printable, and escape quotes, backslashes and controls as \\xHH', () => {
    assert.equal(logValue(undefined), '-');
    assert.equal(logValue(''), '-');
    assert.equal(logValue('curl/8.5.0'), 'curl/8.5.0');
    assert.equal(logValue('a "b" \\ c\n'), 'a \\x22b\\x22 \\x5C c\\x0A');
  });

  it('name the Basic user as $remote_user, `-` for anything else', () => {
    assert.equal(remoteUser(`Basic ${Buffer.from('alice:secret').toString('base64')}`), 'alice');
    assert.equal(remoteUser('Bearer abc'), '-');
    assert.equal(remoteUser(undefined), '-');
  });

  it('write $time_local as nginx does', () => {
    const text = formatTimeLocal(Date.UTC(2026, 11, 2, 13, 39, 7));
    assert.match(text, /^\d{2}\/Dec\/2026:\d{2}:\d{2}:07 [+-]\d{4}$/);
  });
});
