import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { FATAL_EXIT_CODE, fatalReason } from './safety-net.ts';

describe('fatalReason', () => {
  it('takes an ordinary error, a rejection with a string, or nothing for the failing work only', () => {
    assert.equal(fatalReason(new TypeError('x is undefined')), undefined);
    assert.equal(fatalReason('a string'), undefined);
    assert.equal(fatalReason(undefined), undefined);
    assert.equal(fatalReason(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), undefined);
  });

  it("names node's broken invariants, exhausted resources and errors marked fatal", () => {
    assert.match(
      fatalReason(Object.assign(new Error('x'), { code: 'ERR_INTERNAL_ASSERTION' }))!,
      /invariant/,
    );
    for (const code of ['ENOMEM', 'EMFILE', 'ENFILE']) {
      assert.match(fatalReason(Object.assign(new Error('x'), { code }))!, new RegExp(code));
    }
    assert.match(fatalReason(Object.assign(new Error('x'), { fatal: true }))!, /marked fatal/);
  });
});

/** Runs `body` in a node process that installed the safety net; its exit code and log lines. */
async function withSafetyNet(
  body: string,
): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const script = `
    import { createLogger } from ${JSON.stringify(new URL('../log.ts', import.meta.url).href)};
    import { installSafetyNet } from ${JSON.stringify(new URL('./safety-net.ts', import.meta.url).href)};
    const log = createLogger({ pretty: false });
    installSafetyNet({ log, stormLimit: 5, stormWindowMs: 10000, context: () => globalThis.plugin === undefined ? undefined : { plugin: globalThis.plugin } });
    ${body}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines };
}

describe('installSafetyNet in a process', () => {
  it('logs a throw from a timer and an unhandled rejection, and the process goes on', async () => {
    const { code, lines } = await withSafetyNet(`
      setTimeout(() => { throw new Error('from a timer'); }, 1);
      Promise.reject(new Error('nobody awaited this'));
      setTimeout(() => { console.log(JSON.stringify({ msg: 'still here' })); process.exit(0); }, 100);
    `);
    assert.equal(code, 0);
    assert.ok(lines.some((l) => l.msg === 'uncaught exception: the process keeps running'));
    assert.ok(lines.some((l) => l.msg === 'unhandled rejection: the process keeps running'));
    assert.ok(lines.some((l) => l.msg === 'still here'));
  });

  it('exits with code 70 after logging an error that leaves the process unsound', async () => {
    const { code, lines } = await withSafetyNet(`
      setTimeout(() => { throw Object.assign(new Error('too many open files'), { code: 'EMFILE' }); }, 1);
      setTimeout(() => process.exit(0), 5000);
    `);
    assert.equal(code, FATAL_EXIT_CODE);
    const fatal = lines.find((l) => l.msg === 'uncaught exception: the process exits');
    assert.match(String(fatal?.reason), /EMFILE/);
  });

  it('exits when failures come in a storm', async () => {
    const { code, lines } = await withSafetyNet(`
      for (let i = 0; i < 10; i++) setTimeout(() => { throw new Error('again ' + i); }, 1);
      setTimeout(() => process.exit(0), 5000);
    `);
    assert.equal(code, FATAL_EXIT_CODE);
    assert.match(String(lines.find((l) => l.level === 60)?.reason), /more than 5 failures/);
  });

  it("names the plugin it was given as context, and a plugin's failures are never fatal, even many", async () => {
    const { code, lines } = await withSafetyNet(`
      globalThis.plugin = 'hostile';
      for (let i = 0; i < 10; i++) setTimeout(() => { throw Object.assign(new Error('plugin leak'), { code: 'EMFILE' }); }, 1);
      setTimeout(() => process.exit(0), 200);
    `);
    assert.equal(code, 0);
    const kept = lines.filter((l) => l.msg === 'uncaught exception: the process keeps running');
    assert.equal(kept.length, 10);
    assert.ok(kept.every((l) => l.plugin === 'hostile'));
  });
});
