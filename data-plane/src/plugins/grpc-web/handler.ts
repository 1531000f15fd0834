/**
 * grpc-web (Kong 3.10 kong/plugins/grpc-web): lets a browser call a gRPC service. The client
 * sends `application/grpc-web[+proto]` (binary frames), `application/grpc-web-text[+proto]`
 * (the same in base64), or — with `proto` set — `application/grpc-web[-text]+json` or plain
 * `application/json`, over HTTP/1.1 or HTTP/2; the service gets `application/grpc` over HTTP/2
 * (a `grpc`/`grpcs` service), and the client gets the messages back in its own encoding with the
 * upstream's `grpc-status` and `grpc-message` in a trailer frame (flag 0x80) at the end of the
 * body. An OPTIONS request is answered here (Kong's CORS preflight).
 */
import { definePluginHandler, type PluginContext } from '@turnpike/plugin-sdk';
import { decodeMessage, encodeMessage, type ProtoMethod, protoMethods } from '@turnpike/plugin-sdk/protobuf';
import { decodeBase64Pieces, firstPayload, frame, trailerFrame, Unframer } from './framing.ts';
import type { GrpcWebConfig } from './schema.ts';

type TextEncoding = 'plain' | 'base64';
type Framing = 'grpc' | 'none';
type MsgEncoding = 'proto' | 'json';

/** deco.lua's three tables, by the request's exact Content-Type. */
const MIME: ReadonlyMap<string, readonly [TextEncoding, Framing, MsgEncoding]> = new Map([
  ['application/grpc-web', ['plain', 'grpc', 'proto']],
  ['application/grpc-web-text', ['base64', 'grpc', 'proto']],
  ['application/grpc-web+proto', ['plain', 'grpc', 'proto']],
  ['application/grpc-web-text+proto', ['base64', 'grpc', 'proto']],
  ['application/grpc-web+json', ['plain', 'grpc', 'json']],
  ['application/grpc-web-text+json', ['base64', 'grpc', 'json']],
  ['application/json', ['plain', 'none', 'json']],
]);

const CORS_HEADERS = {
  'Content-Type': 'application/grpc-web-text+proto',
  'Access-Control-Allow-Methods': 'POST',
  'Access-Control-Allow-Headers': 'content-type,x-grpc-web,x-user-agent',
} as const;

/** Per request (Kong's kong.ctx.plugin.dec): how to translate both ways. */
class Deco {
  readonly mimetype: string | undefined;
  readonly text: TextEncoding | undefined;
  readonly framing: Framing | undefined;
  readonly msg: MsgEncoding | undefined;
  readonly types: ProtoMethod | undefined;
  readonly #frames = new Unframer();
  /** A grpc-status the response head carried (an upstream's trailers-only answer). */
  headStatus: string | undefined;
  headMessage: string | undefined;

  constructor(mimetype: string | undefined, types: ProtoMethod | undefined) {
    const modes = mimetype === undefined ? undefined : MIME.get(mimetype);
    this.mimetype = mimetype;
    this.text = modes?.[0];
    this.framing = modes?.[1];
    this.msg = modes?.[2];
    this.types = types;
  }

  /** The client's body as the service takes it: one gRPC frame. */
  upstream(body: Buffer): Buffer {
    if (this.text === 'base64') body = decodeBase64Pieces(body.toString('latin1'));
    if (this.msg === 'json') {
      const message = this.framing === 'grpc' ? (firstPayload(body) ?? Buffer.alloc(0)) : body;
      body = frame(
        0,
        encodeMessage(this.types!.input, JSON.parse(message.toString('utf8')) as Record<string, unknown>),
      );
    }
    return body;
  }

  /** One chunk of the service's body as the client takes it. */
  downstream(chunk: Buffer, eof: boolean): Buffer {
    if (this.msg !== 'proto') {
      const out: Buffer[] = [];
      for (const { payload } of this.#frames.push(chunk)) {
        const json = Buffer.from(JSON.stringify(decodeMessage(this.types!.output, payload)));
        out.push(this.framing === 'grpc' ? frame(0, json) : json);
      }
      chunk = Buffer.concat(out);
      if (this.text === 'base64') chunk = base64(chunk);
    } else if (this.text === 'base64') {
      // Each whole frame in base64 of its own (as Kong's, when a message comes in one chunk).
      const out = this.#frames.push(chunk).map(({ flags, payload }) => base64(frame(flags, payload)));
      if (eof && this.#frames.rest.length > 0) out.push(base64(this.#frames.rest));
      chunk = Buffer.concat(out);
    }
    return chunk;
  }

  /** The trailer frame, in the client's encoding. */
  trailer(ctx: PluginContext): Buffer {
    const status = ctx.response.trailer('grpc-status') ?? this.headStatus ?? '0';
    const message = ctx.response.trailer('grpc-message') ?? this.headMessage ?? '';
    const f = trailerFrame(status, message);
    return this.text === 'base64' ? base64(f) : f;
  }
}

function base64(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('base64'), 'latin1');
}

const DEC = 'grpc-web:dec';

/** The method's types from the .proto; a string: why the request cannot be translated. */
function rpcTypes(path: string, proto: string | null | undefined): ProtoMethod | string | undefined {
  if (proto == null) return undefined;
  const types = protoMethods(proto).get(path);
  return types ?? `Unknown path ${JSON.stringify(path)}`;
}

export const handler = definePluginHandler<GrpcWebConfig>({
  name: 'grpc-web',
  version: '3.10.0',
  priority: 3,
  sdkVersion: '1.2.0',

  async access(ctx, conf) {
    const origin = conf.allow_origin_header ?? '*';
    ctx.setResponseHeader('Access-Control-Allow-Origin', origin);
    if (ctx.request.method === 'OPTIONS') {
      ctx.response.exit(200, 'OK', { ...CORS_HEADERS, 'Access-Control-Allow-Origin': origin });
      return;
    }
    const path = conf.pass_stripped_path === true ? ctx.upstreamPath : ctx.request.path;
    const mimetype = ctx.request.header('content-type');
    const modes = mimetype === undefined ? undefined : MIME.get(mimetype);
    let types: ProtoMethod | undefined;
    if (modes?.[2] !== 'proto') {
      const found =
        rpcTypes(path, conf.proto) ?? 'transcoding requests require a .proto file defining the service';
      if (typeof found === 'string') {
        ctx.log.error(found);
        ctx.response.exit(400, found);
        return;
      }
      types = found;
    }
    const dec = new Deco(mimetype, types);
    ctx.shared.set(DEC, dec);
    ctx.setUpstreamHeader('Content-Type', 'application/grpc');
    ctx.setUpstreamHeader('TE', 'trailers');
    ctx.setUpstreamBody(dec.upstream(await ctx.request.readBody()));
  },

  header(ctx) {
    if (ctx.request.method === 'OPTIONS') return;
    const dec = ctx.shared.get(DEC) as Deco | undefined;
    if (dec === undefined) return;
    if (dec.mimetype !== undefined) ctx.setResponseHeader('Content-Type', dec.mimetype);
    // The body is rewritten (trailer frame, base64, JSON): its length is the proxy's to frame.
    ctx.clearResponseHeader('Content-Length');
    dec.headStatus = ctx.response.header('grpc-status');
    dec.headMessage = ctx.response.header('grpc-message');
  },

  body(ctx, _conf, chunk, eof) {
    if (ctx.request.method !== 'POST') return chunk;
    const dec = ctx.shared.get(DEC) as Deco | undefined;
    if (dec === undefined) return chunk;
    const out = dec.downstream(chunk, eof);
    if (eof && dec.framing === 'grpc') return Buffer.concat([out, dec.trailer(ctx)]);
    return out;
  },
});
