import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Service } from 'kubernetes-models/v1/Service';
import { parse, parseAllDocuments } from 'yaml';
import { readCompose, TURNPIKE_ENV_NAMES } from '../helpers/compose.ts';
import { parseDockerfile, stageNamed } from '../helpers/dockerfile.ts';
import { REPO_ROOT } from '../helpers/turnpike.ts';

const DIR = join(REPO_ROOT, 'deploy/kubernetes');

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: Record<string, unknown>;
  ports?: { name: string; containerPort: number }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & {
    template?: { spec: PodSpec; metadata: { labels: Record<string, string> } };
  };
}
interface Kustomization {
  resources: string[];
  images: { name: string; newTag: string }[];
  secretGenerator: { name: string; type?: string; files: string[] }[];
}

let kustomization: Kustomization;
let manifests: Manifest[];
before(async () => {
  kustomization = parse(await readFile(join(DIR, 'kustomization.yaml'), 'utf8')) as Kustomization;
  manifests = [];
  for (const file of kustomization.resources) {
    for (const doc of parseAllDocuments(await readFile(join(DIR, file), 'utf8'))) {
      if (doc.errors.length > 0) throw doc.errors[0];
      manifests.push(doc.toJS() as Manifest);
    }
  }
});

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'batch/v1 Job': Job,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

function named(kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found;
}

const pods = () => manifests.filter((m) => m.spec.template !== undefined);
const containersOf = (m: Manifest) => [
  ...(m.spec.template?.spec.initContainers ?? []),
  ...(m.spec.template?.spec.containers ?? []),
];

describe('the Kubernetes manifests (deploy/kubernetes)', () => {
  test('every resource is valid against the Kubernetes OpenAPI schema of its kind', () => {
    assert.ok(manifests.length >= 6);
    for (const manifest of manifests) {
      const Model = MODELS[`${manifest.apiVersion} ${manifest.kind}`];
      assert.ok(Model, `no schema for ${manifest.apiVersion} ${manifest.kind}`);
      assert.doesNotThrow(
        () => new Model(manifest as never).validate(),
        `${manifest.kind} ${manifest.metadata.name}`,
      );
    }
  });

  test('the schema check rejects a wrong type or a missing required field, so it can fail', () => {
    // (The Kubernetes OpenAPI schema allows unknown fields, so a misspelt one is not caught here.)
    const wrongType = structuredClone(named('Deployment', 'turnpike-data-plane'));
    (wrongType.spec as Record<string, unknown>).replicas = 'two';
    assert.throws(() => new Deployment(wrongType as never).validate());
    const noSelector = structuredClone(named('Deployment', 'turnpike-data-plane'));
    delete (noSelector.spec as Record<string, unknown>).selector;
    assert.throws(() => new Deployment(noSelector as never).validate());
  });

  test('deployments probe /status/ready for readiness and /status for liveness, and drain in preStop', async () => {
    const distroless = stageNamed(
      parseDockerfile(await readFile(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8')),
      'distroless',
    );
    for (const m of manifests.filter((x) => x.kind === 'Deployment')) {
      const spec = m.spec.template?.spec;
      assert.equal(spec?.terminationGracePeriodSeconds, 30, m.metadata.name);
      for (const c of spec?.containers ?? []) {
        assert.equal(c.readinessProbe?.httpGet?.path, '/status/ready', m.metadata.name);
        assert.equal(c.livenessProbe?.httpGet?.path, '/status', m.metadata.name);
        const status = c.ports?.find((p) => p.name === c.readinessProbe?.httpGet?.port);
        assert.equal(status?.containerPort, 8100, 'the probes reach the status listener');
        // The image's own entrypoint, then quit: the distroless image has no shell to find `turnpike`.
        assert.deepEqual(c.lifecycle?.preStop?.exec?.command, [
          ...(distroless.entrypoint ?? []),
          'quit',
          '--wait=15',
        ]);
        assert.deepEqual(c.args, ['start']);
      }
    }
  });

  test('data planes run two workers, which fit their memory limit, not one per CPU of the node', () => {
    const c = named('Deployment', 'turnpike-data-plane').spec.template?.spec.containers[0];
    assert.equal(c?.env?.find((e) => e.name === 'TURNPIKE_WORKER_PROCESSES')?.value, '2');
    const limits = (c as { resources?: { limits?: { memory?: string } } }).resources?.limits;
    assert.equal(limits?.memory, '1Gi', 'the limit the worker count was chosen for');
  });

  test('every pod runs as a non-root user on a read-only root without privilege escalation', () => {
    for (const m of pods()) {
      const pod = m.spec.template?.spec.securityContext ?? {};
      assert.equal(pod.runAsNonRoot, true, m.metadata.name);
      assert.equal(pod.runAsUser, 65532, 'the images run as 65532');
      for (const c of containersOf(m)) {
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, c.name);
        assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] });
        assert.equal(c.image, 'turnpike', 'kustomization.yaml sets the tag');
      }
    }
  });

  test('every TURNPIKE_ variable is one Turnpike reads, and every secret volume is generated', () => {
    const generated = new Set(kustomization.secretGenerator.map((s) => s.name));
    for (const m of pods()) {
      for (const c of containersOf(m)) {
        for (const e of c.env ?? []) assert.ok(TURNPIKE_ENV_NAMES.has(e.name), `${c.name}: ${e.name}`);
      }
      for (const v of m.spec.template?.spec.volumes ?? []) {
        if (v.secret !== undefined) assert.ok(generated.has(v.secret.secretName), v.secret.secretName);
      }
    }
    const tls = kustomization.secretGenerator.find((s) => s.name === 'turnpike-cluster-cert');
    assert.equal(tls?.type, 'kubernetes.io/tls');
  });

  test('the migrations job runs up (which bootstraps a new database), reading the DSN from the environment', () => {
    const spec = named('Job', 'turnpike-migrations').spec.template?.spec;
    assert.equal(spec?.initContainers, undefined);
    assert.deepEqual(spec?.containers[0]?.args, ['migrations', 'up', '-e', '-y']);
    for (const c of containersOf(named('Job', 'turnpike-migrations'))) {
      assert.ok(c.env?.some((e) => e.name === 'TURNPIKE_DSN_FILE' || e.name === 'TURNPIKE_DSN'));
    }
  });

  test('data planes follow the control plane service, the proxy service selects them and the HPA scales them', () => {
    const cpService = named('Service', 'turnpike-control-plane');
    const clusterPort = (cpService.spec.ports as { name: string; port: number }[]).find(
      (p) => p.name === 'cluster',
    );
    const dp = named('Deployment', 'turnpike-data-plane');
    const env = dp.spec.template?.spec.containers[0]?.env ?? [];
    assert.equal(
      env.find((e) => e.name === 'TURNPIKE_CLUSTER_CONTROL_PLANE')?.value,
      `${cpService.metadata.name}:${clusterPort?.port}`,
    );
    for (const [service, deployment] of [
      ['turnpike-proxy', 'turnpike-data-plane'],
      ['turnpike-control-plane', 'turnpike-control-plane'],
    ] as const) {
      const selector = named('Service', service).spec.selector as Record<string, string>;
      const labels = named('Deployment', deployment).spec.template?.metadata.labels ?? {};
      for (const [k, v] of Object.entries(selector))
        assert.equal(labels[k], v, `${service} selects ${deployment}`);
    }
    const hpa = named('HorizontalPodAutoscaler', 'turnpike-data-plane');
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: dp.metadata.name,
    });
  });

  test('images are tagged with the package version, never latest, here and in docker-compose.yml', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const image of kustomization.images)
      assert.match(image.newTag, new RegExp(`^${version}-(alpine|distroless)$`));
    const compose = await readCompose(join(REPO_ROOT, 'docker-compose.yml'));
    for (const service of Object.values(compose.services)) {
      if (service.build !== undefined)
        assert.equal(service.image, `turnpike:${version}-${service.build.target}`);
    }
  });
});
