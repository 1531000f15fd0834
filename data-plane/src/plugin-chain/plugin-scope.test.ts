import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PluginExitError } from '@turnpike/shared';
import { currentPlugin, guardPluginExits, runInPlugin } from './plugin-scope.ts';

describe('plugin scope', () => {
  it('names the running plugin through its awaits and timers, and nobody outside', async () => {
    assert.equal(currentPlugin(), undefined);
    const seen = await runInPlugin('p1', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return new Promise<string | undefined>((resolve) => setImmediate(() => resolve(currentPlugin())));
    });
    assert.equal(seen, 'p1');
    assert.equal(currentPlugin(), undefined);
  });

  it('refuses process.exit, abort and kill of this process, its parent or its group from plugin code, naming the plugin', async () => {
    guardPluginExits();
    guardPluginExits(); // once per process, however often called
    const refused = (fn: () => unknown): PluginExitError => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof PluginExitError);
        return err;
      }
      assert.fail('not refused');
    };
    const exit = refused(() => runInPlugin('hostile', () => process.exit(0)));
    assert.equal(exit.plugin, 'hostile');
    assert.match(exit.message, /plugin 'hostile' called process\.exit/);
    refused(() => runInPlugin('hostile', () => process.abort()));
    refused(() => runInPlugin('hostile', () => process.kill(process.pid, 'SIGTERM')));
    refused(() => runInPlugin('hostile', () => process.kill(process.ppid, 'SIGTERM')));
    refused(() => runInPlugin('hostile', () => process.kill(0, 'SIGTERM')));
    // After an await, still the plugin's code.
    await assert.rejects(
      runInPlugin('later', async () => {
        await null;
        process.exit(1);
      }),
      (err: unknown) => err instanceof PluginExitError && err.plugin === 'later',
    );
    // Outside plugin code the wrapped calls are the real ones.
    assert.equal(process.kill(process.pid, 0), true);
  });
});
