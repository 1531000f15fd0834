/** http-log's configuration (Kong 3.10 kong/plugins/http-log/schema.lua, kong/tools/queue_schema.lua). */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

/** Kong's check: no Authorization header beside user info in http_endpoint. */
function configError(config: Readonly<Record<string, unknown>>): string | undefined {
  const endpoint = config.http_endpoint;
  const headers = config.headers as Readonly<Record<string, string>> | null | undefined;
  if (typeof endpoint !== 'string' || headers === null || headers === undefined) return undefined;
  let userinfo = false;
  try {
    const url = new URL(endpoint);
    userinfo = url.username !== '' || url.password !== '';
  } catch {
    return undefined;
  }
  if (!userinfo) return undefined;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() === 'authorization') {
      return "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed";
    }
  }
  return undefined;
}

export const schema = definePluginSchema({
  name: 'http-log',
  fields: {
    protocols: typedefs.protocols(),
    config: {
      ...configRecord({
        http_endpoint: typedefs.url({ required: true }),
        method: { type: 'string', default: 'POST', one_of: ['POST', 'PUT', 'PATCH'] },
        content_type: {
          type: 'string',
          default: 'application/json',
          one_of: ['application/json', 'application/json; charset=utf-8'],
        },
        timeout: { type: 'number', default: 10_000 },
        keepalive: { type: 'number', default: 60_000 },
        // Deprecated (Kong 3.x): mapped onto queue.* as Kong's Queue.get_plugin_params does.
        retry_count: { type: 'integer' },
        queue_size: { type: 'integer' },
        flush_timeout: { type: 'number' },
        headers: {
          type: 'map',
          keys: {
            ...typedefs.headerName(),
            match_none: [
              { pattern: /^host$/i, err: "cannot contain 'Host' header" },
              { pattern: /^content-length$/i, err: "cannot contain 'Content-Length' header" },
              { pattern: /^content-type$/i, err: "cannot contain 'Content-Type' header" },
            ],
          },
          values: { type: 'string' },
        },
        queue: typedefs.queue(),
        custom_fields_by_lua: typedefs.luaCode(),
      }),
      custom_validator: configError,
    },
  },
});

export type HttpLogConfig = PluginConfigOf<typeof schema>;
