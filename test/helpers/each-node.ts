import { test } from 'node:test';

/**
 * One test that runs `fn` on each of `nodes` in turn (a case on both datastores, say); a failure
 * names the node it happened on. `nodes` is read when the test runs, so a `before` may fill it.
 */
export function testOnEach<N extends { readonly name: string }>(
  nodes: readonly N[],
  title: string,
  fn: (node: N) => Promise<void>,
): void {
  test(title, async () => {
    for (const node of nodes) {
      try {
        await fn(node);
      } catch (err) {
        (err as Error).message = `[${node.name}] ${(err as Error).message}`;
        throw err;
      }
    }
  });
}
