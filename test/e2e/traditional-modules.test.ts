import assert from 'node:assert/strict';
import { mkdtempDisposable, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dataPlanes, startTraditionalNode } from '../helpers/cluster.ts';
import { eventually, http } from '../helpers/http.ts';
import { startEchoUpstream } from '../helpers/upstream.ts';

const TRACE_HOOK = fileURLToPath(new URL('../helpers/module-trace.ts', import.meta.url));

/** What the in-process link between the planes made unnecessary (bin/node/role.ts). */
const NOT_LOADED = ['/@grpc/grpc-js/', '/@peculiar/x509/', '/@bufbuild/protobuf/', '/proto/src/'];

/**
 * A traditional node's planes share a process and talk in-process: it loads neither grpc-js, the
 * proto runtime nor the certificate code (hybrid nodes do: test/e2e/hybrid*.test.ts), and its
 * own data plane is still listed and in sync.
 */
describe('a traditional node joins its planes in-process', () => {
  for (const database of ['off', 'embedded'] as const) {
    it(`database = ${database}: proxies, lists its data plane, loads no gRPC, proto or X.509 code`, async () => {
      await using upstream = await startEchoUpstream('echo');
      await using dir = await mkdtempDisposable(join(tmpdir(), 'turnpike-modules-'));
      const trace = join(dir.path, 'modules.txt');
      const file = join(dir.path, 'kong.yml');
      await writeFile(
        file,
        `_format_version: "3.0"\nservices:\n- name: echo\n  url: ${upstream.url}\n  routes:\n  - name: echo\n    paths: [/echo]\n`,
      );
      await using node = await startTraditionalNode({
        env: {
          NODE_OPTIONS: `--import=${TRACE_HOOK}`,
          MODULE_TRACE_FILE: trace,
          TURNPIKE_DATABASE: database,
          ...(database === 'off' ? { TURNPIKE_DECLARATIVE_CONFIG: file } : {}),
        },
      });
      if (database === 'embedded') {
        const service = await http('POST', `${node.adminUrl}/services`, { name: 'echo', url: upstream.url });
        assert.equal(service.status, 201, service.text);
        const route = await http('POST', `${node.adminUrl}/services/echo/routes`, { paths: ['/echo'] });
        assert.equal(route.status, 201, route.text);
      }
      await eventually(
        () => http('GET', `${node.proxyUrl}/echo`),
        (r) => r.status === 200,
      );
      const [dp, ...others] = await eventually(
        () => dataPlanes(node),
        (list) => list[0]?.sync_status === 'normal',
      );
      assert.equal(others.length, 0);
      assert.equal((dp as { ip?: string } | undefined)?.ip, '127.0.0.1');

      const modules = (await readFile(trace, 'utf8')).split('\n').filter((line) => line !== '');
      assert.ok(
        modules.some((url) => url.endsWith('/data-plane/src/sync/in-process-dial.ts')),
        'the trace sees the node',
      );
      for (const part of NOT_LOADED) {
        const loaded = modules.filter((url) => url.includes(part));
        assert.deepEqual(loaded.slice(0, 3), [], `${part} is not loaded`);
      }
    });
  }
});
