/**
 * correlation-id (Kong 3.10 kong/plugins/correlation-id/handler.lua): gives the service a
 * correlation id header (the client's own when it sent a non-empty one), and with
 * `echo_downstream` sends it back to the client, even on a response that access never reached.
 */
import { definePluginHandler } from '@turnpike/plugin-sdk';
import { generate } from './generators.ts';
import type { CorrelationIdConfig } from './schema.ts';

/** kong.ctx.plugin.correlation_id. */
const ID = 'correlation-id:id';

export const handler = definePluginHandler<CorrelationIdConfig>({
  name: 'correlation-id',
  version: '3.10.0',
  priority: 100001,
  sdkVersion: '1.0.0',

  access(ctx, conf) {
    const name = conf.header_name ?? 'Kong-Request-ID';
    let id = ctx.request.header(name);
    if (id === undefined || id === '') {
      id = generate(conf.generator, ctx);
      ctx.setUpstreamHeader(name, id);
    }
    if (conf.echo_downstream) ctx.shared.set(ID, id);
  },

  header(ctx, conf) {
    if (!conf.echo_downstream) return;
    const name = conf.header_name ?? 'Kong-Request-ID';
    let id = (ctx.shared.get(ID) as string | undefined) ?? ctx.request.header(name);
    if (id === undefined || id === '') id = generate(conf.generator, ctx);
    ctx.setResponseHeader(name, id);
  },
});
