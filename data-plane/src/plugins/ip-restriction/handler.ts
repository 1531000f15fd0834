/**
 * ip-restriction (Kong 3.10 kong/plugins/ip-restriction/handler.lua): refuses a client whose
 * address is in `deny`, or not in `allow` when `allow` is set; deny is checked first.
 */
import { isIP } from 'node:net';
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import { blockList, type IpLists, listed } from './matcher.ts';
import type { IpRestrictionConfig } from './schema.ts';

/** The config with its lists built once per instance (configure). */
interface Compiled extends IpLists {
  readonly status: number | null | undefined;
  readonly message: string | null | undefined;
}

function refuse(ctx: PluginContext, conf: Compiled, ip: string, message?: string): void {
  const text = message ?? conf.message ?? `IP address not allowed: ${ip}`;
  ctx.log.warn({ client_ip: ip }, text);
  ctx.response.exit(message === undefined ? (conf.status ?? 403) : 403, { message: text });
}

export const handler = definePluginHandler<IpRestrictionConfig, Compiled>({
  name: 'ip-restriction',
  version: '3.10.0',
  priority: 990,
  sdkVersion: '1.1.0',

  configure(config) {
    return {
      deny: blockList(config.deny),
      allow: blockList(config.allow),
      status: config.status,
      message: config.message,
    };
  },

  access(ctx, conf) {
    const ip = ctx.request.clientIp;
    if (isIP(ip) === 0) {
      refuse(ctx, conf, ip, 'Cannot identify the client IP address, unix domain sockets are not supported.');
      return;
    }
    const { deny, allow } = conf;
    if (deny !== undefined && listed(deny, ip)) refuse(ctx, conf, ip);
    else if (allow !== undefined && !listed(allow, ip)) refuse(ctx, conf, ip);
  },
});
