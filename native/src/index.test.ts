import assert from 'node:assert/strict';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { nativeAddon, nativeAddonProblem } from './index.ts';

// `pnpm install` builds the addon on every machine with a compiler and Node's headers (the CI
// machine has both): a missing addon there is a broken install step, not a fallback to accept.
test('pnpm install built the addon, and this Node.js loads it', () => {
  assert.equal(nativeAddonProblem(), undefined);
  assert.ok(nativeAddon() !== undefined);
});

test('mallocTrim gives back the free pages inside the C heap, which glibc keeps by itself', () => {
  const addon = nativeAddon();
  assert.ok(addon !== undefined);
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  v8.setFlagsFromString('--no-expose-gc');
  // ~128 MB of 64 KB buffers (below glibc's mmap threshold: they live in the arena), one in 16
  // kept, so that the freed ones are holes below the arena's top, not a top glibc trims itself.
  let buffers: Buffer[] | undefined = Array.from({ length: 2000 }, () =>
    Buffer.allocUnsafeSlow(64 * 1024).fill(1),
  );
  const kept = buffers.filter((_, i) => i % 16 === 0);
  buffers = undefined;
  gc();
  gc();
  const before = process.memoryUsage.rss();
  assert.equal(addon.mallocTrim(), true);
  const released = before - process.memoryUsage.rss();
  assert.ok(released > 64 * 1024 * 1024, `released ${Math.round(released / 1048576)} MB`);
  assert.equal(kept.length, 125);
});
