import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { TURNPIKE_ENV_NAMES } from '../helpers/compose.ts';
import { type DockerStage, parseDockerfile, stageNamed } from '../helpers/dockerfile.ts';
import { machineNode, REPO_ROOT, runProgram, runTurnpike } from '../helpers/turnpike.ts';

let stages: DockerStage[];
before(async () => {
  stages = parseDockerfile(await readFile(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8'));
});

const VARIANTS = ['alpine', 'distroless'] as const;

describe('deploy/Dockerfile', () => {
  test('builds two variants from one build stage: Node 24 on Alpine, and distroless nonroot', () => {
    assert.deepEqual(
      stages.map((s) => s.name),
      ['build', 'alpine', 'distroless'],
    );
    // The base images as written, with the NODE_VERSION build argument (24) unexpanded.
    assert.match(stageNamed(stages, 'alpine').from, /^node:\$\{NODE_VERSION\}-alpine$/);
    assert.match(
      stageNamed(stages, 'distroless').from,
      /^gcr\.io\/distroless\/nodejs\$\{NODE_VERSION\}-debian12:nonroot$/,
    );
  });

  for (const variant of VARIANTS) {
    test(`the ${variant} image runs bin/turnpike.ts as a non-root user, drains on SIGQUIT and checks its health`, () => {
      const stage = stageNamed(stages, variant);
      assert.equal(stage.user, '65532:65532');
      assert.equal(stage.workdir, '/app');
      assert.deepEqual(stage.expose, ['8000', '8443', '8001', '8444', '8005', '8100']);
      assert.equal(stage.stopSignal, 'SIGQUIT');
      const entrypoint = stage.entrypoint ?? [];
      assert.match(entrypoint[0] ?? '', /^(node|\/nodejs\/bin\/node)$/);
      // /app is the repository root in the image: the script it runs must be there.
      assert.equal(entrypoint[1], '/app/bin/turnpike.ts');
      assert.ok(existsSync(join(REPO_ROOT, 'bin/turnpike.ts')));
      assert.deepEqual(stage.cmd, ['start']);
      // The light probe, with the image's node, in exec form (no shell): not the whole CLI.
      assert.deepEqual(stage.healthcheck?.cmd, [entrypoint[0], '/app/bin/health.cjs']);
      assert.ok(existsSync(join(REPO_ROOT, 'bin/health.cjs')));
    });
  }

  test('the HEALTHCHECK entry loads nothing but node:http and node:fs, whatever Node runs it', async () => {
    const probe = join(REPO_ROOT, 'bin/health.cjs');
    const script = `require(${JSON.stringify(probe)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
    for (const node of new Set([process.execPath, machineNode()])) {
      const result = await runProgram(node, ['-e', script]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(
        JSON.parse(result.stdout),
        [probe],
        `${node}: only health.cjs itself is a loaded module`,
      );
    }
  });

  test('runs every image with two workers, not one per CPU of the host', () => {
    for (const variant of VARIANTS) {
      assert.equal(stageNamed(stages, variant).env.TURNPIKE_WORKER_PROCESSES, '2', variant);
    }
  });

  test('both variants carry the same settings, every one a key Turnpike reads', () => {
    const [alpine, distroless] = VARIANTS.map((v) => stageNamed(stages, v).env);
    assert.deepEqual(alpine, distroless);
    for (const name of Object.keys(alpine ?? {})) {
      if (name.startsWith('TURNPIKE_')) assert.ok(TURNPIKE_ENV_NAMES.has(name), name);
    }
    assert.equal(
      alpine?.TURNPIKE_STATUS_LISTEN,
      '0.0.0.0:8100',
      'probes from outside the container reach /status',
    );
  });

  test("the image's settings pass `turnpike check` as they are, with nothing to warn about", async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'turnpike-image-'));
    try {
      const env = { ...stageNamed(stages, 'alpine').env, TURNPIKE_PREFIX: prefix };
      const result = await runTurnpike(['check'], env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '', 'no key the image sets is ignored');
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  });
});
