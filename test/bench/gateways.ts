/**
 * The Node.js processes the proxy section compares Turnpike with, each started as a child:
 * `node test/bench/gateways.ts <role> [upstream port]`, printing `PORT <n>` once listening on
 * 127.0.0.1. Roles:
 * - `upstream`: node:http answering BENCH_BODY (only when Debian's nginx, the usual upstream, is missing);
 * - `bare`: node:http + an undici Pool, no routing, no header work (BENCH-BASELINE.md's bar);
 * - `fastify`: fastify 5 + @fastify/http-proxy 11, as its README sets it up;
 * - `fast-gateway`: fast-gateway 5 (restana + fast-proxy-lite), as its README sets it up.
 * Every gateway proxies `/bench` to the upstream unchanged, with keep-alive both ways.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the upstream answers: a 79-byte JSON body, as in BENCH-BASELINE.md. */
export const BENCH_BODY = JSON.stringify({ ok: true, service: 'bench-upstream', padding: 'x'.repeat(28) });

export const GATEWAY_ROLES = ['upstream', 'bare', 'fastify', 'fast-gateway'] as const;
export type GatewayRole = (typeof GATEWAY_ROLES)[number];

function announce(server: Server): void {
  console.log(`PORT ${(server.address() as AddressInfo).port}`);
}

async function serveUpstream(): Promise<void> {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(BENCH_BODY),
    });
    res.end(BENCH_BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => announce(server));
}

async function serveBareForwarder(upstreamPort: number): Promise<void> {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`);
  const server = createServer((req, res) => {
    pool
      .request({ path: req.url ?? '/', method: 'GET', headers: req.headers })
      .then(({ statusCode, headers, body }) => {
        res.writeHead(statusCode, headers as Record<string, string>);
        body.pipe(res);
      })
      .catch(() => {
        res.statusCode = 502;
        res.end();
      });
  });
  server.listen(0, '127.0.0.1', () => announce(server));
}

async function serveFastify(upstreamPort: number): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { default: proxy } = await import('@fastify/http-proxy');
  const app = Fastify({ logger: false });
  await app.register(proxy, {
    upstream: `http://127.0.0.1:${upstreamPort}`,
    prefix: '/bench',
    rewritePrefix: '/bench',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  announce(app.server);
}

async function serveFastGateway(upstreamPort: number): Promise<void> {
  const { default: gateway } = await import('fast-gateway');
  const app = gateway({
    routes: [
      {
        prefix: '/bench',
        prefixRewrite: '/bench',
        pathRegex: '',
        target: `http://127.0.0.1:${upstreamPort}`,
      },
    ],
  });
  announce((await app.start(0, '127.0.0.1')) as Server);
}

const [role, port] = process.argv.slice(2);
if (import.meta.main) {
  if (role === 'upstream') await serveUpstream();
  else if (role === 'bare') await serveBareForwarder(Number(port));
  else if (role === 'fastify') await serveFastify(Number(port));
  else if (role === 'fast-gateway') await serveFastGateway(Number(port));
  else throw new Error(`unknown role ${role}: one of ${GATEWAY_ROLES.join(', ')}`);
}
