/**
 * bot-detection (Kong 3.10 kong/plugins/bot-detection/handler.lua): refuses (403) a User-Agent
 * that a `deny` rule or Kong's bot rules match, unless an `allow` rule matches it first.
 */
import { definePluginHandler } from '@turnpike/plugin-sdk';
import { AgentExaminer, MATCH_ALLOW } from './examine.ts';
import type { BotDetectionConfig } from './schema.ts';

export const handler = definePluginHandler<BotDetectionConfig, AgentExaminer>({
  name: 'bot-detection',
  version: '3.10.0',
  priority: 2500,
  sdkVersion: '1.1.0',

  configure(config) {
    return new AgentExaminer(config.allow ?? [], config.deny ?? []);
  },

  access(ctx, examiner) {
    if (ctx.request.headerCount('user-agent') > 1) {
      ctx.response.exit(400, { message: 'Only one User-Agent header allowed' });
      return;
    }
    const agent = ctx.request.header('user-agent');
    if (agent === undefined) return;
    if (examiner.examine(agent) > MATCH_ALLOW) ctx.response.exit(403, { message: 'Forbidden' });
  },
});
