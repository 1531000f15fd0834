import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseTags } from './request-tags.ts';

it('parses name=value pairs, trimmed, and reports the items it cannot parse', () => {
  assert.deepEqual(parseTags('team=edge; tier = gold ;;bad'), {
    tags: { team: 'edge', tier: 'gold' },
    errors: ['bad'],
  });
  assert.deepEqual(parseTags('a=1, b=2'), { tags: { a: '1', b: '2' }, errors: [] });
});
