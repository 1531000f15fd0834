import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { descendants, processTree, stopDescendants, treeMemory } from './processes.ts';

test('a child and its own child are in the process tree, and stopDescendants stops both', async () => {
  // A shell whose child is a sleep: two levels below this process.
  const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  try {
    let tree: number[] = [];
    for (let i = 0; i < 100 && tree.length < 2; i++) {
      tree = processTree(child.pid!);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(tree[0], child.pid);
    assert.equal(tree.length, 2, 'the shell and its sleep');
    assert.ok(descendants().includes(tree[1]!));
    const memory = await treeMemory(child.pid!);
    assert.equal(memory.processes.length, 2);
    assert.ok(memory.rss > 0 && memory.pss > 0 && memory.pss <= memory.rss);

    const found = await stopDescendants(2_000);
    assert.ok(found.some((line) => line.includes('sleep 30')));
    await exited;
    for (const pid of tree) assert.ok(!descendants().includes(pid));
  } finally {
    child.kill('SIGKILL');
  }
});
