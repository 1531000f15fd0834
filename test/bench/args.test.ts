import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BenchUsageError, parseArgs, resultsFileName, SECTIONS } from './args.ts';

test('no section named runs every section, in the suite order', () => {
  assert.deepEqual(parseArgs([]).sections, SECTIONS);
  assert.equal(parseArgs([]).quick, false);
});

test('named sections run in the suite order whatever order they are given in', () => {
  const args = parseArgs(['memory', '--quick', 'proxy']);
  assert.deepEqual(args.sections, ['proxy', 'memory']);
  assert.equal(args.quick, true);
});

test("npm's -- separator and section aliases are accepted", () => {
  assert.deepEqual(parseArgs(['--', 'cp', 'start-up']).sections, ['startup', 'control-plane']);
  assert.deepEqual(parseArgs(['grpc', 'proxy']).sections, ['proxy', 'protocols']);
});

test('an unknown section or option is refused with the valid names', () => {
  assert.throws(
    () => parseArgs(['proxies']),
    (e: unknown) => {
      assert.ok(e instanceof BenchUsageError);
      assert.match(e.message, /unknown section proxies: one of proxy, plugins/);
      return true;
    },
  );
  assert.throws(() => parseArgs(['--fast']), /unknown option --fast/);
  assert.throws(() => parseArgs(['--out']), /--out needs a value/);
});

test('--out and --note take a value, in both spellings', () => {
  assert.equal(parseArgs(['--out', 'a.md']).out, 'a.md');
  assert.equal(parseArgs(['--out=b.md']).out, 'b.md');
  assert.equal(parseArgs(['--note', 'busy machine']).note, 'busy machine');
});

test('the results file is named by the date, with -quick and the sections when not a full run', () => {
  const date = new Date('2026-12-02T10:00:00Z');
  assert.equal(resultsFileName(parseArgs([]), date), '2026-12-02.md');
  assert.equal(resultsFileName(parseArgs(['--quick']), date), '2026-12-02-quick.md');
  assert.equal(resultsFileName(parseArgs(['memory', 'proxy']), date), '2026-12-02-proxy-memory.md');
});
