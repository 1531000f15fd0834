/**
 * cors (Kong 3.10 kong/plugins/cors/handler.lua): answers a preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) itself with 200, unless `preflight_continue`; adds the CORS
 * headers to every other response, the service's or another plugin's.
 */
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import { allowedOrigin, compileOrigins, type OriginPolicy } from './origins.ts';
import type { CorsConfig } from './schema.ts';

const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';
/** kong.ctx.plugin.skip_response_headers: a preflight was answered (or delegated) in access. */
const PREFLIGHT = 'cors:preflight';

/** The config with its origins, methods and headers compiled once per instance (configure). */
interface Compiled {
  readonly conf: CorsConfig;
  readonly origins: OriginPolicy;
  readonly methods: string;
  readonly headers: string | undefined;
  readonly exposed: string | undefined;
  readonly maxAge: string | undefined;
}

function compile(conf: CorsConfig): Compiled {
  return {
    conf,
    origins: compileOrigins(conf.origins),
    methods: conf.methods == null ? DEFAULT_METHODS : conf.methods.join(','),
    headers: conf.headers != null && conf.headers.length > 0 ? conf.headers.join(',') : undefined,
    exposed:
      conf.exposed_headers != null && conf.exposed_headers.length > 0
        ? conf.exposed_headers.join(',')
        : undefined,
    maxAge: conf.max_age == null ? undefined : String(conf.max_age),
  };
}

/** Vary: Origin — set on a preflight; added beside the service's own Vary on a response. */
function varyOrigin(ctx: PluginContext, add: boolean): void {
  const existing = add ? ctx.response.header('vary') : undefined;
  ctx.setResponseHeader('Vary', existing === undefined || existing === '' ? 'Origin' : `${existing}, Origin`);
}

/** configure_origin + configure_credentials. */
function originHeaders(
  ctx: PluginContext,
  conf: CorsConfig,
  c: Compiled,
  origin: string | undefined,
  add: boolean,
) {
  const policy = c.origins;
  if (!policy.allowAll) varyOrigin(ctx, add);
  const { value, allowAll } = allowedOrigin(policy, origin);
  if (value === undefined) ctx.clearResponseHeader('Access-Control-Allow-Origin');
  else ctx.setResponseHeader('Access-Control-Allow-Origin', value);
  if (!conf.credentials) return;
  if (!allowAll) ctx.setResponseHeader('Access-Control-Allow-Credentials', 'true');
  else if (origin !== undefined && origin !== '') {
    // ACAC cannot be true with ACAO `*`: the request's own origin instead.
    varyOrigin(ctx, add);
    ctx.setResponseHeader('Access-Control-Allow-Origin', origin);
    ctx.setResponseHeader('Access-Control-Allow-Credentials', 'true');
  }
}

export const handler = definePluginHandler<CorsConfig, Compiled>({
  name: 'cors',
  version: '3.10.0',
  priority: 2000,
  sdkVersion: '1.1.0',

  configure: compile,

  access(ctx, c) {
    const conf = c.conf;
    const request = ctx.request;
    const origin = request.header('origin');
    if (
      request.method !== 'OPTIONS' ||
      origin === undefined ||
      origin === '' ||
      request.header('access-control-request-method') === undefined
    ) {
      return;
    }
    ctx.shared.set(PREFLIGHT, true);
    if (conf.preflight_continue) return;
    originHeaders(ctx, conf, c, origin, false);
    if (c.headers !== undefined) ctx.setResponseHeader('Access-Control-Allow-Headers', c.headers);
    else {
      const requested = request.header('access-control-request-headers');
      if (requested !== undefined) ctx.setResponseHeader('Access-Control-Allow-Headers', requested);
      else ctx.clearResponseHeader('Access-Control-Allow-Headers');
    }
    ctx.setResponseHeader('Access-Control-Allow-Methods', c.methods);
    if (c.maxAge !== undefined) ctx.setResponseHeader('Access-Control-Max-Age', c.maxAge);
    if (conf.private_network && request.header('access-control-request-private-network') === 'true') {
      ctx.setResponseHeader('Access-Control-Allow-Private-Network', 'true');
    }
    ctx.response.exit(200);
  },

  header(ctx, c) {
    const conf = c.conf;
    if (ctx.shared.get(PREFLIGHT) === true) return;
    const origin = ctx.request.header('origin');
    if ((origin === undefined || origin === '') && !conf.allow_origin_absent) return;
    originHeaders(ctx, conf, c, origin, true);
    if (c.exposed !== undefined) ctx.setResponseHeader('Access-Control-Expose-Headers', c.exposed);
  },
});
