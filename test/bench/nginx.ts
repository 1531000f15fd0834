/**
 * Debian's nginx in two parts: the upstream every target of the proxy section forwards to (a
 * static 79-byte JSON answer, keep-alive without a request limit), and the reference proxy
 * (`proxy_pass` with upstream keep-alive, 1 or 2 workers). Each runs in the foreground
 * (`daemon off`) from its own temporary folder; disposing stops it and removes the folder.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/free-port.ts';
import { BENCH_BODY } from './gateways.ts';
import { stopChild } from './processes.ts';

export interface RunningNginx extends AsyncDisposable {
  readonly port: number;
  /** The master process (its workers are its children). */
  readonly child: ChildProcess;
}

export type NginxRole =
  | { readonly kind: 'upstream' }
  | { readonly kind: 'proxy'; readonly upstreamPort: number; readonly workers: number };

function config(dir: string, port: number, role: NginxRole): string {
  const server =
    role.kind === 'upstream'
      ? `location / { default_type application/json; return 200 '${BENCH_BODY}'; }`
      : 'location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }';
  const upstream =
    role.kind === 'proxy' ? `upstream app { server 127.0.0.1:${role.upstreamPort}; keepalive 64; }` : '';
  return `worker_processes ${role.kind === 'proxy' ? role.workers : 1};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  # No client connection is closed for its request count: wrk's and hey's stay open all run.
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path ${dir}/client;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${upstream}
  server {
    listen 127.0.0.1:${port};
    ${server}
  }
}
`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nginx (`binary`) for `role` on a free loopback port; a port taken meanwhile is retried. */
export async function startNginx(binary: string, role: NginxRole): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'turnpike-bench-nginx-'));
  let lastError = '';
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const conf = join(dir, 'nginx.conf');
      await writeFile(conf, config(dir, port, role));
      const child = spawn(binary, ['-c', conf, '-p', dir, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
      for (let i = 0; i < 100 && child.exitCode === null; i++) {
        if (await accepts(port)) {
          return {
            port,
            child,
            async [Symbol.asyncDispose]() {
              await stopChild(child);
              await rm(dir, { recursive: true, force: true });
            },
          };
        }
        await sleep(50);
      }
      await stopChild(child);
      lastError = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`nginx did not start: ${lastError.trim()}`);
}
