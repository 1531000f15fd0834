import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { DEFAULT_ASSETS_DIR } from '../../control-plane/src/admin-gui/assets.ts';
import { TURNPIKE_ENV_NAMES } from '../helpers/compose.ts';
import { type DockerStage, localImageCommand, parseDockerfile, stageNamed } from '../helpers/dockerfile.ts';
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
      ['manifests', 'gui', 'build', 'native-glibc', 'alpine', 'distroless'],
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
      assert.deepEqual(stage.expose, ['8000', '8443', '8001', '8444', '8002', '8005', '8100']);
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

  test('the Admin GUI is built in a stage of its own and only its built files reach the images, where the control plane looks for them', () => {
    const gui = stageNamed(stages, 'gui');
    assert.equal(gui.from, 'manifests');
    assert.equal(stageNamed(stages, 'build').from, 'manifests');
    assert.ok(gui.runs.some((r) => /pnpm --filter "?@turnpike\/admin-gui"? build/.test(r)));
    for (const copy of gui.copies) {
      for (const source of copy.sources) assert.ok(existsSync(join(REPO_ROOT, source)), `${source} exists`);
    }
    const build = stageNamed(stages, 'build');
    const assets = build.copies.find((c) => c.from === 'gui');
    assert.deepEqual(assets, {
      from: 'gui',
      sources: ['/app/control-plane/admin-gui/dist'],
      dest: 'control-plane/admin-gui/dist',
    });
    // /app is the repository root in the image: the folder the GUI listener reads is that one.
    assert.equal(relative(REPO_ROOT, DEFAULT_ASSETS_DIR), 'control-plane/admin-gui/dist');
    assert.deepEqual(
      stageNamed(stages, 'alpine').copies.map((c) => c.from),
      ['build', 'build'],
      "alpine copies from the build stage only, not the GUI's build tools",
    );
    assert.deepEqual(
      stageNamed(stages, 'distroless').copies.map((c) => c.from),
      ['build', 'build', 'native-glibc'],
      "distroless copies from the build stage and the glibc addon's, not the build tools",
    );
  });

  test('the native addon is built for each C library, from what its stage copies, to where the process loads it', async () => {
    const addonPath = new URL(
      '../build/Release/turnpike_native.node',
      new URL('../../native/src/index.ts', import.meta.url),
    ).pathname;
    const inImage = `/app/${relative(REPO_ROOT, addonPath)}`;
    // musl: the build stage has the addon's sources before its install runs the build.
    const build = stageNamed(stages, 'build');
    const sources = build.copies.filter((c) => c.dest.startsWith('native/')).flatMap((c) => c.sources);
    assert.deepEqual(sources, ['native/binding.gyp', 'native/build.mjs', 'native/src']);
    assert.ok(
      build.runs.some((r) => r.includes('pnpm install') && r.includes('node native/build.mjs --strict')),
    );
    // glibc: its own stage, copied into distroless over the musl build.
    const glibc = stageNamed(stages, 'native-glibc');
    assert.match(glibc.from, /^node:\$\{NODE_VERSION\}-bookworm-slim$/, 'Debian 12, as distroless-debian12');
    assert.deepEqual(glibc.runs.at(-1), 'node build.mjs --strict');
    const copied = stageNamed(stages, 'distroless').copies.find((c) => c.from === 'native-glibc');
    assert.deepEqual(copied, { from: 'native-glibc', sources: [inImage], dest: inImage });
    // That stage's inputs, and nothing else (no node_modules: npm's own node-gyp), build it here.
    const root = await mkdtemp(join(tmpdir(), 'turnpike-native-'));
    try {
      for (const copy of glibc.copies)
        for (const source of copy.sources) {
          const dest =
            copy.dest.endsWith('/') || copy.dest === './'
              ? join(root, source.replace(/^native\//, ''))
              : join(root, copy.dest);
          await cp(join(REPO_ROOT, source), dest, { recursive: true });
        }
      const built = await runProgram(process.execPath, ['build.mjs', '--strict'], {}, root);
      assert.equal(built.code, 0, built.stderr);
      assert.ok(existsSync(join(root, relative(join(REPO_ROOT, 'native'), addonPath))));
    } finally {
      await rm(root, { recursive: true, force: true });
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

describe('deploy/examples/custom-plugin/Dockerfile: a derived image with a custom plugin', () => {
  let example: DockerStage[];
  before(async () => {
    example = parseDockerfile(
      await readFile(join(REPO_ROOT, 'deploy/examples/custom-plugin/Dockerfile'), 'utf8'),
    );
  });

  test('builds on our images: the plugin installed in alpine, copied into distroless, enabled by TURNPIKE_PLUGINS', () => {
    // The base images as written, with the TURNPIKE_IMAGE build argument unexpanded.
    assert.deepEqual(
      example.map((s) => s.from.replace('$' + '{TURNPIKE_IMAGE}', 'IMAGE')),
      ['IMAGE-alpine', 'IMAGE-distroless'],
    );
    const image = example.at(-1)!;
    assert.equal(image.env.TURNPIKE_PLUGINS, 'bundled,my-plugin');
    for (const name of Object.keys(image.env)) assert.ok(TURNPIKE_ENV_NAMES.has(name), name);
    const install = JSON.parse(stageNamed(example, 'plugins').runs[0]!) as string[];
    assert.deepEqual(install.slice(0, 4), ['node', '/app/bin/turnpike.ts', 'plugin', 'install']);
    assert.ok(install.includes('--verify-key'), 'the signature is checked');
    const target = install[install.indexOf('--target') + 1]!;
    // What the install wrote is what the image copies, where TURNPIKE_PLUGIN_PATHS points.
    assert.deepEqual(image.copies, [
      {
        from: 'plugins',
        sources: [target.slice(0, target.lastIndexOf('/'))],
        dest: image.env.TURNPIKE_PLUGIN_PATHS,
      },
    ]);
  });

  test('its install step and the final image pass as processes: the signed tarball installs, `check` loads the plugin', async () => {
    const root = await mkdtemp(join(tmpdir(), 'turnpike-derived-'));
    try {
      // What the build context holds: the packed, signed plugin and the public key.
      const context = join(root, 'context');
      assert.equal((await runTurnpike(['plugin', 'init', 'my-plugin', '--dir', context])).code, 0);
      const tarball = join(context, 'my-plugin-0.1.0.tgz');
      assert.equal(
        (await runTurnpike(['plugin', 'pack', join(context, 'my-plugin'), '--out', tarball])).code,
        0,
      );
      const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      await writeFile(join(context, 'signing.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await writeFile(join(context, 'signing.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
      assert.equal(
        (await runTurnpike(['plugin', 'sign', tarball, '--key', join(context, 'signing.pem')])).code,
        0,
      );

      // The image's paths under `root`: /tmp is the build context, the rest as they are.
      const local = (path: string) =>
        path.startsWith('/tmp/') ? join(context, path.slice(5)) : join(root, path);
      const plugins = stageNamed(example, 'plugins');
      for (const copy of plugins.copies)
        for (const s of copy.sources) assert.ok(existsSync(join(context, s)), s);
      const run = localImageCommand(JSON.parse(plugins.runs[0]!) as string[], REPO_ROOT);
      const args = run.args.map((a) => (a.startsWith('/') && !a.startsWith(REPO_ROOT) ? local(a) : a));
      const installed = await runProgram(run.command, args, { TURNPIKE_PREFIX: join(root, 'prefix') });
      assert.equal(installed.code, 0, installed.stderr);

      const image = example.at(-1)!;
      const [copy] = image.copies;
      await cp(local(copy!.sources[0]!), local(copy!.dest), { recursive: true });
      const env = {
        ...stageNamed(stages, 'distroless').env,
        ...image.env,
        TURNPIKE_PLUGIN_PATHS: local(image.env.TURNPIKE_PLUGIN_PATHS!),
        TURNPIKE_PREFIX: join(root, 'prefix'),
      };
      const checked = await runTurnpike(['check'], env);
      assert.equal(checked.code, 0, checked.stderr);
      assert.equal(checked.stderr, '');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
