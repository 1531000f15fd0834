/**
 * Custom plugins as a plugin author writes them, in temporary folders outside the repository
 * and without a node_modules of their own (the node gives them its SDK): a TypeScript plugin
 * (`stamp`), and kong-js-pdk's own example `js-hello.js` as it is published.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http } from '../helpers/http.ts';
import { REPO_ROOT } from '../helpers/turnpike.ts';

export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

export async function tempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  assert.ok(!path.startsWith(REPO_ROOT), 'outside the repository');
  return {
    path,
    async [Symbol.asyncDispose]() {
      await rm(path, { recursive: true, force: true });
    },
  };
}

/**
 * The `stamp` plugin: puts `config.value` in the header `config.header` of the request the service
 * gets, and `X-Stamped-By: <name> <version>` on the response. `version` changes what it says.
 */
export async function writeStampPlugin(
  parent: string,
  options: { name?: string; version?: string; schemaType?: string } = {},
): Promise<string> {
  const name = options.name ?? 'stamp';
  const version = options.version ?? '1.0.0';
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'schema.ts'),
    `import { configRecord, definePluginSchema, type PluginConfigOf } from '@turnpike/plugin-sdk';
export const schema = definePluginSchema({
  name: '${name}',
  fields: {
    config: configRecord({
      header: { type: '${options.schemaType ?? 'string'}', default: 'X-Stamp' },
      value: { type: 'string', required: true },
    }),
  },
});
export type StampConfig = PluginConfigOf<typeof schema>;
`,
  );
  await writeFile(
    join(dir, 'handler.ts'),
    `import { definePluginHandler, type PluginContext, SDK_VERSION } from '@turnpike/plugin-sdk';
import type { StampConfig } from './schema.ts';
export const handler = definePluginHandler<StampConfig>({
  name: '${name}',
  version: '${version}',
  priority: 900,
  sdkVersion: SDK_VERSION,
  access(ctx: PluginContext, conf: StampConfig) {
    ctx.setUpstreamHeader(conf.header, conf.value);
    ctx.setResponseHeader('X-Stamped-By', '${name} ${version}');
  },
});
`,
  );
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `turnpike-plugin-${name}`, version, type: 'module', turnpike: { plugin: name } }, null, 2)}\n`,
  );
  return dir;
}

/** kong-js-pdk's examples/js-hello.js, verbatim (Kong's JavaScript plugin server shape). */
export const KONG_JS_HELLO = `'use strict';

// This is an example plugin that add a header to the response

class KongPlugin {
  constructor(config) {
    this.config = config
  }

  async access(kong) {
    let host = await kong.request.getHeader("host")
    if (host === undefined) {
      return await kong.log.err("unable to get header for request")
    }

    let message = this.config.message || "hello"

    // the following can be "parallel"ed
    await Promise.all([
      kong.response.setHeader("x-hello-from-javascript", "Javascript says " + message + " to " + host),
      kong.response.setHeader("x-javascript-pid", process.pid),
    ])
  }
}

module.exports = {
  Plugin: KongPlugin,
  Schema: [
    { message: { type: "string" } },
  ],
  Version: '0.1.0',
  Priority: 0,
}
`;

/** A service on `upstream` and a route `path` to it, through the Admin API. */
export async function serviceAndRoute(
  adminUrl: string,
  name: string,
  upstream: string,
  path: string,
): Promise<void> {
  const service = await http('POST', `${adminUrl}/services`, { name, url: upstream });
  assert.equal(service.status, 201, service.text);
  const route = await http('POST', `${adminUrl}/services/${name}/routes`, { paths: [path] });
  assert.equal(route.status, 201, route.text);
}
