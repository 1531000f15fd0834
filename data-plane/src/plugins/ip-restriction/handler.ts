/**
 * ip-restriction (Kong 3.10 kong/plugins/ip-restriction/handler.lua): refuses a client whose
 * address is in `deny`, or not in `allow` when `allow` is set; deny is checked first.
 */
import { isIP } from 'node:net';
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import { blockList, type IpLists, listed } from './matcher.ts';
import type { IpRestrictionConfig } from './schema.ts';

/** The lists of each config object, built on its first request (a config lives for its version). */
const compiled = new WeakMap<IpRestrictionConfig, IpLists>();

function listsOf(conf: IpRestrictionConfig): IpLists {
  let lists = compiled.get(conf);
  if (lists === undefined) {
    lists = { deny: blockList(conf.deny), allow: blockList(conf.allow) };
    compiled.set(conf, lists);
  }
  return lists;
}

function refuse(ctx: PluginContext, conf: IpRestrictionConfig, ip: string, message?: string): void {
  const text = message ?? conf.message ?? `IP address not allowed: ${ip}`;
  ctx.log.warn({ client_ip: ip }, text);
  ctx.response.exit(message === undefined ? (conf.status ?? 403) : 403, { message: text });
}

export const handler = definePluginHandler<IpRestrictionConfig>({
  name: 'ip-restriction',
  version: '3.10.0',
  priority: 990,
  sdkVersion: '1.0.0',

  access(ctx, conf) {
    const ip = ctx.request.clientIp;
    if (isIP(ip) === 0) {
      refuse(ctx, conf, ip, 'Cannot identify the client IP address, unix domain sockets are not supported.');
      return;
    }
    const { deny, allow } = listsOf(conf);
    if (deny !== undefined && listed(deny, ip)) refuse(ctx, conf, ip);
    else if (allow !== undefined && !listed(allow, ip)) refuse(ctx, conf, ip);
  },
});
