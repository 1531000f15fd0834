/**
 * acl (Kong 3.x kong/plugins/acl/handler.lua): allows or denies the authenticated consumer by its
 * groups (acls entities), and tells the service the groups in X-Consumer-Groups.
 */
import { CONSUMER_HEADERS, definePluginHandler } from '@turnpike/plugin-sdk';
import { blockedOrGroups } from './decide.ts';
import type { AclConfig } from './schema.ts';

export const FORBIDDEN = { message: 'You cannot consume this service' };
export const UNAUTHORIZED = { message: 'Unauthorized' };

export const handler = definePluginHandler<AclConfig>({
  name: 'acl',
  version: '3.10.0',
  priority: 950,
  sdkVersion: '1.0.0',

  access(ctx, conf) {
    const consumer = ctx.consumer;
    if (consumer === undefined) {
      // Authenticated without a consumer (no groups to check) is refused; not authenticated is 401.
      ctx.response.exit(
        ctx.credential === undefined ? 401 : 403,
        ctx.credential === undefined ? UNAUTHORIZED : FORBIDDEN,
      );
      return;
    }
    // Kong caches the groups per consumer; the lookup here is already an index of the version.
    const groups = ctx.db.listBy('acls', 'consumer', consumer.id).map((acl) => acl.group);
    const decision = blockedOrGroups(groups, conf.allow, conf.deny);
    if (decision === true) {
      ctx.response.exit(403, FORBIDDEN);
      return;
    }
    if (!conf.hide_groups_header && decision !== '') {
      ctx.setUpstreamHeader(CONSUMER_HEADERS.CONSUMER_GROUPS, decision);
    }
  },
});
