/**
 * A small harness to test a plugin without a node (`@turnpike/plugin-sdk/testing`):
 *
 *   import { runPlugin } from '@turnpike/plugin-sdk/testing';
 *   const result = await runPlugin({ handler, schema }, { config: { greeting: 'hi' }, request: { path: '/' } });
 *   assert.equal(result.upstream.headers['x-greeting'], 'hi');
 *
 * It checks the schema as a node does at load, validates `config` with it (defaults filled, Kong's
 * error shape on a bad one), then runs one request through the phases in the order and with the
 * throw / exit rules of the SDK's contract (../handler.ts): configure (its result is the phases'
 * `conf`; a throw is Kong's 500), rewrite (with `global: true`), access;
 * then, unless the plugin exited, the service's response (`upstream`); header, body (one chunk),
 * log. It is a test double of the node's chain for one plugin, not the node's chain itself: the
 * end-to-end behaviour of a plugin on a node is what docs/plugins.md "Testing" shows next.
 */
import { SchemaViolationError } from '../../../src/errors.ts';
import { checkPluginSchema, type PluginSchema, validateEntity } from '../../../src/schema/index.ts';
import type { PluginConsumer, PluginCredential } from '../context.ts';
import type { PluginConfig, PluginHandler } from '../handler.ts';
import {
  recordingLogger,
  TestContext,
  type TestEntities,
  type TestExit,
  type TestLogLine,
  type TestRequest,
} from './context.ts';

export type { TestEntities, TestExit, TestLogLine, TestRequest } from './context.ts';

export interface TestPlugin {
  readonly handler: PluginHandler;
  readonly schema: PluginSchema;
}

export interface RunOptions {
  /** The plugin's config as an Admin API client would send it; defaults are filled by the schema. */
  readonly config?: Record<string, unknown>;
  readonly request?: TestRequest;
  /** Entities the plugin may look up with ctx.db (consumers, credentials…), by entity name. */
  readonly entities?: TestEntities;
  /** Authenticated before the plugin runs, as an earlier auth plugin would have. */
  readonly consumer?: PluginConsumer;
  readonly credential?: PluginCredential;
  /** The service's answer when no plugin exits; default 200 with an empty body. */
  readonly upstream?: {
    readonly status?: number;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string | Buffer;
  };
  /** Configured globally (no route, service or consumer): the rewrite phase runs too. */
  readonly global?: boolean;
}

export interface RunResult {
  /** The response a plugin made (ctx.response.exit), or the 500 of a throw in rewrite/access. */
  readonly exit: (TestExit & { readonly json: unknown }) | undefined;
  /** What the service got; `called` is false after an exit. */
  readonly upstream: {
    readonly called: boolean;
    readonly headers: Readonly<Record<string, string>>;
    readonly query: string;
    /** Set by setUpstreamPath / setUpstreamMethod; undefined: unchanged. */
    readonly path: string | undefined;
    readonly method: string | undefined;
    readonly body: Buffer | undefined;
  };
  /** What the client got: status, headers after the header phase, body after the body phase. */
  readonly response: {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: Buffer;
  };
  /** The config the plugin ran with (defaults filled). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly consumer: PluginConsumer | undefined;
  readonly credential: PluginCredential | undefined;
  readonly shared: ReadonlyMap<string, unknown>;
  readonly logs: readonly TestLogLine[];
  /** Each phase that threw, with what it threw: on a node, logged as 'plugin failed'. */
  readonly errors: readonly { readonly phase: string; readonly error: unknown }[];
}

const UNEXPECTED = { message: 'An unexpected error occurred' };

/** The plugin's config as the node would store it, or a SchemaViolationError in Kong's shape. */
export function validateConfig(
  schema: PluginSchema,
  config: Record<string, unknown> = {},
): Record<string, unknown> {
  const problems = checkPluginSchema(schema, schema.name);
  if (problems.length > 0)
    throw new TypeError(`the schema of ${schema.name} is invalid: ${problems.join('; ')}`);
  const result = validateEntity(
    'plugins',
    { name: schema.name, config },
    { operation: 'insert', pluginSchemas: (n) => (n === schema.name ? schema : undefined) },
  );
  if (!result.ok) throw new SchemaViolationError(result.fields);
  return result.value.config;
}

function headerObject(edits: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries(edits);
}

/** The scope `configure` gets in the harness: an instance on no route, service or consumer. */
const TEST_SCOPE = Object.freeze({
  id: '00000000-0000-4000-8000-000000000000',
  routeId: undefined,
  serviceId: undefined,
  consumerId: undefined,
});

/** Runs one request through `plugin`; see the module comment. */
export async function runPlugin(plugin: TestPlugin, options: RunOptions = {}): Promise<RunResult> {
  const { handler, schema } = plugin;
  const config = Object.freeze(validateConfig(schema, options.config));
  const logs: TestLogLine[] = [];
  const ctx = new TestContext(
    handler.name,
    options.request ?? {},
    options.entities ?? {},
    recordingLogger(logs),
  );
  if (options.consumer !== undefined) ctx.authenticate(options.consumer, options.credential);
  const errors: { phase: string; error: unknown }[] = [];
  const state = ctx.state;
  const failed = (phase: string, error: unknown) => {
    errors.push({ phase, error });
    ctx.log.error({ plugin: handler.name, phase, err: error }, 'plugin failed');
  };

  // As on a node: configure once (at compile time there), its result is what the phases get.
  let conf: PluginConfig = config;
  let configureFailed = false;
  try {
    const configured: unknown = handler.configure?.(config, TEST_SCOPE);
    if (configured !== undefined) conf = configured as PluginConfig;
  } catch (error) {
    failed('configure', error);
    configureFailed = true;
  }

  try {
    if (configureFailed) throw new Error(`plugin '${handler.name}' could not configure its instance`);
    if (options.global === true && handler.rewrite !== undefined) await handler.rewrite(ctx, conf);
    if (state.exit === undefined && handler.access !== undefined) await handler.access(ctx, conf);
  } catch (error) {
    if (!configureFailed) failed('access', error);
    state.exit = {
      status: 500,
      body: Buffer.from(JSON.stringify(UNEXPECTED)),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    };
  }

  const exit = state.exit;
  const upstream = options.upstream ?? {};
  state.status = exit?.status ?? upstream.status ?? 200;
  const headers = new Map<string, string>(
    Object.entries(exit?.headers ?? upstream.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  for (const [key, edit] of state.responseHeaders) {
    if (edit.value === undefined) headers.delete(key);
    else headers.set(key, edit.value);
  }
  state.responseHeaders.clear();
  // The header phase sees the response's headers (ctx.response.header / headers), as on a node.
  for (const [key, value] of headers) state.responseHeaders.set(key, { name: key, value });
  state.phase = 'header';
  let headerFailed = false;
  if (handler.header !== undefined) {
    try {
      handler.header(ctx, conf);
    } catch (error) {
      failed('header', error);
      headerFailed = true;
    }
  }
  for (const [key, edit] of state.responseHeaders) {
    if (edit.value === undefined) headers.delete(key);
    else headers.set(key, edit.value);
  }
  state.phase = 'after';
  const headerExit = state.headerExit;
  if (headerExit !== undefined) {
    // The header phase answered: that status, no body (Kong's exit in header_filter).
    state.status = headerExit;
    headers.delete('transfer-encoding');
    headers.set('content-length', '0');
  }
  let body =
    headerExit !== undefined
      ? Buffer.alloc(0)
      : (exit?.body ?? (upstream.body === undefined ? Buffer.alloc(0) : Buffer.from(upstream.body)));
  if (handler.body !== undefined && exit === undefined && !headerFailed && headerExit === undefined) {
    try {
      const out = handler.body(ctx, conf, body, true);
      if (!Buffer.isBuffer(out))
        throw new TypeError(`the body phase returned ${typeof out}, expected a Buffer`);
      body = out;
    } catch (error) {
      failed('body', error);
    }
  }
  if (handler.log !== undefined) {
    try {
      handler.log(ctx, conf);
    } catch (error) {
      failed('log', error);
    }
  }
  return {
    exit:
      exit === undefined
        ? undefined
        : { ...exit, json: exit.body === undefined ? undefined : safeJson(exit.body) },
    upstream: {
      called: exit === undefined,
      headers: headerObject(state.upstreamHeaders),
      query: state.upstreamQuery,
      path: state.upstreamPath,
      method: state.upstreamMethod,
      body: state.upstreamBody,
    },
    response: {
      status: headerFailed ? 500 : state.status,
      headers: Object.fromEntries(headers),
      body: headerFailed ? Buffer.from(JSON.stringify(UNEXPECTED)) : body,
    },
    config,
    consumer: ctx.consumer,
    credential: ctx.credential,
    shared: ctx.shared,
    logs,
    errors,
  };
}

function safeJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
