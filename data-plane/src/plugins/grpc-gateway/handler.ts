/**
 * grpc-gateway (Kong 3.10 kong/plugins/grpc-gateway): REST and JSON in front of a gRPC service.
 * The request's method and path pick a method of the `proto` file by its `google.api.http`
 * bindings; path variables, then the JSON body (`body: "*"` or a field) or else the query
 * arguments, make its request message, sent to the service as `POST /<package>.<Service>/<Method>`
 * over gRPC; the answer's messages come back as JSON, and a `grpc-status` in the response head
 * (an error answered trailers-only) becomes the HTTP status.
 */
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import { decodeMessage, EncodeError, encodeMessage } from '@turnpike/plugin-sdk/protobuf';
import type protobuf from 'protobufjs';
import { type Endpoint, endpointsOf } from './bindings.ts';
import type { GrpcGatewayConfig } from './schema.ts';
import { matchTemplate } from './template.ts';

const CORS_HEADERS = {
  'Content-Type': 'application/json',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET,POST,PATCH,DELETE',
  'Access-Control-Allow-Headers': 'content-type',
} as const;

/** google/rpc/code.proto to HTTP, as Kong maps them. */
const GRPC_STATUS_MAP: ReadonlyMap<number, number> = new Map([
  [0, 200],
  [1, 499],
  [2, 500],
  [3, 400],
  [4, 504],
  [5, 404],
  [6, 409],
  [7, 403],
  [16, 401],
  [8, 429],
  [9, 400],
  [10, 409],
  [11, 400],
  [12, 500],
  [13, 500],
  [14, 503],
  [15, 500],
]);

const DEC = 'grpc-gateway:dec';

/** Per request (Kong's kong.ctx.plugin.dec). */
interface Deco {
  readonly endpoint: Endpoint;
  /** The answer's bytes not yet a whole frame. */
  pending: Buffer;
}

function transcode(
  method: string,
  path: string,
  proto: string,
): { endpoint: Endpoint; vars: Record<string, string> } | string {
  const list = endpointsOf(proto).get(method);
  if (list === undefined) return `Unknown method ${JSON.stringify(method)}`;
  for (const endpoint of list) {
    const vars = matchTemplate(endpoint.template, path);
    if (vars !== undefined) return { endpoint, vars };
  }
  return `Unknown path ${JSON.stringify(path)}`;
}

/** deco.lua add_to_table: `a.b.c=v` into nested objects, only along the message's own fields. */
function addQueryArg(
  payload: Record<string, unknown>,
  path: string,
  value: string | true,
  input: Endpoint['input'],
): void {
  let table = payload;
  let type: Endpoint['input'] | undefined = input;
  const keys = path.split('.').filter((k) => k !== '');
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const field: protobuf.Field | undefined = type?.fields[key];
    if (field === undefined) return;
    field.resolve();
    if (i < keys.length - 1) {
      const next = table[key];
      table[key] = next !== null && typeof next === 'object' ? next : {};
      table = table[key] as Record<string, unknown>;
      type =
        field.resolvedType !== null && 'fields' in field.resolvedType
          ? (field.resolvedType as Endpoint['input'])
          : undefined;
    } else {
      // encode_fix: a bool from a URI argument is true unless "0" or "false".
      table[key] = field.type === 'bool' ? value !== '0' && value !== 'false' : value;
    }
  }
}

function upstreamBody(
  ctx: PluginContext,
  endpoint: Endpoint,
  vars: Record<string, string>,
  body: Buffer,
): Buffer | string {
  const payload: Record<string, unknown> = { ...vars };
  const variable = endpoint.body;
  if (variable !== undefined) {
    if (body.length > 0) {
      let decoded: unknown;
      try {
        decoded = JSON.parse(body.toString('utf8'));
      } catch (err) {
        return `decode json err: ${(err as Error).message}`;
      }
      if (variable !== '*') payload[variable] = decoded;
      else if (decoded !== null && typeof decoded === 'object') Object.assign(payload, decoded);
      else return 'body must be a table';
    }
  } else {
    for (const [key, value] of ctx.request.query) addQueryArg(payload, key, value, endpoint.input);
  }
  try {
    const message = encodeMessage(endpoint.input, payload);
    const frame = Buffer.allocUnsafe(5 + message.length);
    frame[0] = 0;
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    return frame;
  } catch (err) {
    if (!(err instanceof EncodeError)) ctx.log.error({ err }, 'failed to encode payload');
    return 'failed to encode payload';
  }
}

export const handler = definePluginHandler<GrpcGatewayConfig>({
  name: 'grpc-gateway',
  version: '3.10.0',
  priority: 998,
  sdkVersion: '1.2.0',

  async access(ctx, conf) {
    ctx.setResponseHeader('Access-Control-Allow-Origin', '*');
    const method = ctx.request.method;
    if (method === 'OPTIONS') {
      ctx.response.exit(200, 'OK', CORS_HEADERS);
      return;
    }
    const proto = conf.proto;
    const found =
      proto == null
        ? 'transcoding requests require a .proto file defining the service'
        : transcode(method.toLowerCase(), ctx.request.path, proto);
    if (typeof found === 'string') {
      const err = proto == null ? found : `failed to transcode .proto file ${found}`;
      ctx.log.error(err);
      ctx.response.exit(400, err);
      return;
    }
    const { endpoint, vars } = found;
    ctx.shared.set(DEC, { endpoint, pending: Buffer.alloc(0) } satisfies Deco);
    ctx.setUpstreamHeader('Content-Type', 'application/grpc');
    ctx.setUpstreamHeader('TE', 'trailers');
    const body = upstreamBody(ctx, endpoint, vars, await ctx.request.readBody());
    if (typeof body === 'string') {
      ctx.log.error(body);
      ctx.response.exit(400, body);
      return;
    }
    ctx.setUpstreamBody(body);
    ctx.setUpstreamPath(endpoint.rewritePath);
    ctx.setUpstreamQuery('');
    ctx.setUpstreamMethod('POST');
  },

  header(ctx) {
    if (ctx.request.method === 'OPTIONS') return;
    if (ctx.shared.get(DEC) === undefined) return;
    ctx.setResponseHeader('Content-Type', 'application/json');
    ctx.clearResponseHeader('Content-Length');
    const status = ctx.response.header('grpc-status');
    if (status === undefined) return;
    const code = Number(status);
    let http = Number.isInteger(code) ? GRPC_STATUS_MAP.get(code) : undefined;
    if (http === undefined) {
      ctx.log.warn(`Unable to map grpc-status ${status} to HTTP status code`);
      http = 500;
    }
    // A grpc-status in the head is a trailers-only answer: no message follows, only the status changes.
    if (http !== ctx.response.status) ctx.response.exit(http);
  },

  body(ctx, _conf, chunk, eof) {
    const dec = ctx.shared.get(DEC) as Deco | undefined;
    if (dec === undefined) return chunk;
    let data = dec.pending.length === 0 ? chunk : Buffer.concat([dec.pending, chunk]);
    const out: string[] = [];
    while (data.length >= 5) {
      const size = data.readUInt32BE(1);
      if (data.length < 5 + size) break;
      out.push(JSON.stringify(decodeMessage(dec.endpoint.output, data.subarray(5, 5 + size))));
      data = data.subarray(5 + size);
    }
    dec.pending = data;
    // At the end, what never decoded goes out as it came (Kong's get_raw_downstream_body).
    if (out.length === 0) return eof ? data : Buffer.alloc(0);
    return Buffer.from(out.join(''));
  },
});
