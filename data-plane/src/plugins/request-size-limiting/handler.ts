/**
 * request-size-limiting (Kong 3.10 kong/plugins/request-size-limiting/handler.lua): refuses a
 * request body over `allowed_payload_size` (413, or 417 to an `Expect: 100-continue`), judged by
 * Content-Length when the request has one, else by the body read whole.
 */
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import type { RequestSizeLimitingConfig } from './schema.ts';

const FACTOR = { bytes: 1, kilobytes: 1024, megabytes: 1048576 } as const;
const EXCEEDED = { message: 'Request size limit exceeded' };
const LENGTH_REQUIRED = { message: 'A valid Content-Length header is required' };

function check(ctx: PluginContext, conf: RequestSizeLimitingConfig, length: number): void {
  const allowed = (conf.allowed_payload_size ?? 128) * FACTOR[conf.size_unit];
  if (length <= allowed) return;
  const expect = ctx.request.header('expect');
  ctx.response.exit(expect?.trim().toLowerCase() === '100-continue' ? 417 : 413, EXCEEDED);
}

async function checkBody(ctx: PluginContext, conf: RequestSizeLimitingConfig): Promise<void> {
  check(ctx, conf, (await ctx.request.readBody()).length);
}

export const handler = definePluginHandler<RequestSizeLimitingConfig>({
  name: 'request-size-limiting',
  version: '3.10.0',
  priority: 951,
  sdkVersion: '1.0.0',

  access(ctx, conf) {
    const request = ctx.request;
    const declared = request.header('content-length');
    if (declared !== undefined && declared.trim() !== '' && Number.isFinite(Number(declared))) {
      check(ctx, conf, Number(declared));
      return undefined;
    }
    const chunked = request.header('transfer-encoding')?.toLowerCase() === 'chunked';
    if (conf.require_content_length && !chunked) {
      ctx.response.exit(411, LENGTH_REQUIRED);
      return undefined;
    }
    // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112): nothing to read.
    if (request.header('transfer-encoding') === undefined) return undefined;
    return checkBody(ctx, conf);
  },
});
