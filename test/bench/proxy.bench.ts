/**
 * Proxy benchmark: `scripts/toolchain.sh node test/bench/proxy.bench.ts [seconds]`.
 * Starts an upstream (its own process), the proxy (one process, 1 route, then 10,000 routes) and
 * drives each with autocannon from this process on 127.0.0.1: req/s and p50/p99 latency for direct
 * vs through the proxy, and the ratios. Prints only; compare ratios within one run.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

const SELF = new URL(import.meta.url).pathname;
const BODY = JSON.stringify({ ok: true, service: 'bench-upstream', padding: 'x'.repeat(40) });

function makeRoutes(n: number) {
  const routes = [];
  for (let i = 0; i < n - 1; i++) {
    routes.push({
      id: `r${i}`,
      hosts: [`h${i}.bench.test`],
      paths: [`/api/v${i % 10}/r${i}`],
      service: { id: 's' },
    });
  }
  // The benched route comes last in the table, as a real request would hit any of them.
  routes.push({ id: 'target', paths: ['/bench'], service: { id: 's' } });
  return routes;
}

async function serveUpstream(): Promise<void> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
}

async function serveProxy(upstreamPort: number, routeCount: number): Promise<void> {
  const { startProxy, DEFAULT_SETTINGS } = await import('@turnpike/data-plane/proxy');
  const { ConfigApplier } = await import('@turnpike/data-plane/config');
  const { UpstreamPools } = await import('@turnpike/data-plane/upstream');
  const { createLogger } = await import('@turnpike/shared');
  const pools = new UpstreamPools();
  const config = new ConfigApplier({ dispatchers: pools });
  config.install({
    version: 1,
    services: [{ id: 's', protocol: 'http', host: '127.0.0.1', port: upstreamPort }],
    routes: makeRoutes(routeCount),
  });
  const proxy = await startProxy({
    listen: [{ host: '127.0.0.1', port: 0, ssl: false }],
    holder: config.runtime,
    settings: DEFAULT_SETTINGS,
    log: createLogger({ level: 'silent' }),
  });
  console.log(`PORT ${proxy.ports[0]}`);
}

/** The bar from BENCH-BASELINE.md: node:http + an undici Pool, no routing, no header work. */
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
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
}

async function spawnRole(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const m = /^PORT (\d+)$/.exec(line);
    if (m) return { child, port: Number(m[1]) };
  }
  throw new Error(`${args[0]} exited before listening`);
}

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/**
 * nginx with one worker, `proxy_pass` and upstream keep-alive (BENCH-BASELINE.md's reference),
 * when Debian's nginx is installed (`apt-get install nginx`); undefined otherwise.
 */
async function startNginx(
  upstreamPort: number,
  port: number,
): Promise<{ stop(): Promise<void> } | undefined> {
  if (NGINX === undefined) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-bench-nginx-'));
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const child = spawn(NGINX, ['-c', conf, '-p', dir], { stdio: 'ignore' });
  await sleep(300);
  return {
    async stop() {
      child.kill('SIGQUIT');
      await once(child, 'exit');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freeLocalPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(port: number, seconds: number): Promise<Figures> {
  const url = `http://127.0.0.1:${port}/bench`;
  await autocannon({ url, connections: 50, duration: 1 }); // warm-up
  const r = await autocannon({ url, connections: 50, duration: seconds });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}

function row(name: string, f: Figures, base?: Figures): string {
  const ratio = base === undefined ? '' : `  ratio ${(f.rps / base.rps).toFixed(2)}`;
  return `${name.padEnd(28)} ${f.rps.toFixed(0).padStart(8)} req/s  p50 ${String(f.p50).padStart(3)} ms  p99 ${String(f.p99).padStart(3)} ms  errors ${f.errors}${ratio}`;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const upstream = await spawnRole(['--upstream']);
  const children: ChildProcess[] = [upstream.child];
  try {
    const direct = await load(upstream.port, seconds);
    console.log(row('direct to the upstream', direct));
    const nginxPort = await freeLocalPort();
    const nginx = await startNginx(upstream.port, nginxPort);
    if (nginx === undefined) console.log('nginx: not installed (apt-get install nginx) — skipped');
    else {
      try {
        console.log(row('nginx, 1 worker', await load(nginxPort, seconds), direct));
      } finally {
        await nginx.stop();
      }
    }
    const bare = await spawnRole(['--bare', String(upstream.port)]);
    children.push(bare.child);
    const bareFigures = await load(bare.port, seconds);
    console.log(row('bare node:http + undici', bareFigures, direct));
    bare.child.kill();
    let one: Figures | undefined;
    for (const routes of [1, 10_000]) {
      const proxy = await spawnRole(['--proxy', String(upstream.port), String(routes)]);
      children.push(proxy.child);
      const through = await load(proxy.port, seconds);
      console.log(row(`through the proxy, ${routes} route${routes === 1 ? '' : 's'}`, through, direct));
      console.log(`  ÷ bare forwarder: ${(through.rps / bareFigures.rps).toFixed(2)}`);
      if (routes === 1) one = through;
      else if (one !== undefined)
        console.log(`10,000 routes ÷ 1 route: ${(through.rps / one.rps).toFixed(2)}`);
      proxy.child.kill();
      await once(proxy.child, 'exit');
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

const role = process.argv[2];
if (role === '--upstream') await serveUpstream();
else if (role === '--bare') await serveBareForwarder(Number(process.argv[3]));
else if (role === '--proxy') await serveProxy(Number(process.argv[3]), Number(process.argv[4]));
else await main();
