import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePluginHandler } from '@turnpike/plugin-sdk';
import { compileChain, openOn, pluginEntity } from './test-support.ts';

describe('configure(config)', () => {
  it('runs once per instance when the chain is compiled; the phases get what it returned', () => {
    let configured = 0;
    const seen: unknown[] = [];
    const handler = definePluginHandler<{ word: string }, { upper: string }>({
      name: 'shout',
      version: '1.0.0',
      priority: 1,
      configure(config) {
        configured++;
        return { upper: config.word.toUpperCase() };
      },
      access(_ctx, conf) {
        seen.push(conf.upper);
      },
    });
    const chain = compileChain([handler], { plugins: [pluginEntity('shout', { word: 'hey' })] });
    assert.equal(configured, 1);
    for (let i = 0; i < 3; i++) assert.equal(openOn(chain!).run.beforeProxy(), undefined);
    assert.equal(configured, 1);
    assert.deepEqual(seen, ['HEY', 'HEY', 'HEY']);
  });

  it("fails every request of an instance whose configure threw, or returned a promise, with Kong's 500", () => {
    for (const configure of [
      () => {
        throw new Error('no');
      },
      () => Promise.resolve({}),
    ]) {
      let ran = false;
      const handler = definePluginHandler({
        name: 'broken',
        version: '1.0.0',
        priority: 1,
        configure: configure as never,
        access() {
          ran = true;
        },
      });
      const chain = compileChain([handler], { plugins: [pluginEntity('broken', {})] });
      const { run } = openOn(chain!);
      assert.equal(run.beforeProxy(), undefined);
      assert.equal(run.exit?.status, 500);
      assert.equal(ran, false);
    }
  });

  it('leaves handlers without configure as they were: the phases get the validated config', () => {
    const seen: unknown[] = [];
    const handler = definePluginHandler<{ n: number }>({
      name: 'plain',
      version: '1.0.0',
      priority: 1,
      access(_ctx, conf) {
        seen.push(conf.n);
      },
    });
    const chain = compileChain([handler], { plugins: [pluginEntity('plain', { n: 7 })] });
    openOn(chain!).run.beforeProxy();
    assert.deepEqual(seen, [7]);
  });
});
