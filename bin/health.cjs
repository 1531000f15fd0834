#!/usr/bin/env node
// The container HEALTHCHECK: `node bin/health.cjs [--ready] [--timeout ms] [-c conf]` asks the
// local status listener for /status (or /status/ready) and exits 0 on a 200, 1 otherwise.
//
// Plain CommonJS that loads only node:http and node:fs, so a probe every 10 s costs about what
// an empty Node does (~45 MB, ~30 ms) instead of the whole CLI (~130 MB, ~0.6 s); it runs on any
// Node >= 18. It reads `status_listen` the way `start` does, without validating anything else:
// TURNPIKE_STATUS_LISTEN[_FILE], then KONG_STATUS_LISTEN[_FILE], then the `status_listen` line of
// the configuration file (-c, else $TURNPIKE_CONF, else /etc/turnpike/turnpike.conf if present),
// then the default 127.0.0.1:8100. `turnpike health` runs the same probe after a full check.
'use strict';

const { readFileSync } = require('node:fs');
const { request } = require('node:http');

const DEFAULT_STATUS_LISTEN = '127.0.0.1:8100';
const DEFAULT_CONF = '/etc/turnpike/turnpike.conf';

/** The value of `name` from the environment: the variable, else the content of `<name>_FILE`. */
function fromEnv(env, name) {
  if (env[name] !== undefined) return env[name].trim();
  const file = env[`${name}_FILE`];
  return file === undefined ? undefined : readFileSync(file, 'utf8').trim();
}

/** The `status_listen` value of a kong.conf-style text (`#` comments, `\#` escapes), if set. */
function fromConfText(text) {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').replaceAll('\\#', '#');
    const match = /^\s*status_listen\s*=\s*(.*?)\s*$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

function fromConfFile(path, required) {
  try {
    return fromConfText(readFileSync(path, 'utf8'));
  } catch (err) {
    if (required) throw err;
    return undefined;
  }
}

/** The status_listen text, by the precedence `start` uses. */
function statusListen(env, confPath) {
  const fromVariables = fromEnv(env, 'TURNPIKE_STATUS_LISTEN') ?? fromEnv(env, 'KONG_STATUS_LISTEN');
  if (fromVariables !== undefined) return fromVariables;
  const given = confPath ?? (env.TURNPIKE_CONF || undefined);
  const fromFile = fromConfFile(given ?? DEFAULT_CONF, given !== undefined);
  return fromFile ?? DEFAULT_STATUS_LISTEN;
}

/** The URL of the first status listener (a wildcard address asked on loopback); undefined when off. */
function statusUrl(listenText, ready) {
  const first = listenText.split(',')[0].trim().split(/\s+/)[0];
  if (first === undefined || first === '' || first === 'off') return undefined;
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(first);
  if (!match) throw new Error(`status_listen: cannot read '${first}' as <ip>:<port>`);
  const host = match[1] === '0.0.0.0' ? '127.0.0.1' : match[1] === '::' ? '::1' : match[1];
  return `http://${host.includes(':') ? `[${host}]` : host}:${match[2]}/status${ready ? '/ready' : ''}`;
}

/** GET `url`; resolves with { ok, message } and never rejects. */
function probe(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        resolve(
          res.statusCode === 200
            ? { ok: true, message: 'answered 200' }
            : { ok: false, message: `${url} answered ${res.statusCode}: ${body}` },
        );
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) =>
      resolve({ ok: false, message: `Turnpike is not running (${url}: ${err.message})` }),
    );
    req.end();
  });
}

function parseArgs(argv) {
  const options = { ready: false, timeout: 3000, conf: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--ready') options.ready = true;
    else if (arg === '--timeout' || arg === '-c' || arg === '--conf') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (arg === '--timeout') options.timeout = Number(value);
      else options.conf = value;
    } else if (arg.startsWith('--timeout=')) options.timeout = Number(arg.slice('--timeout='.length));
    else throw new Error(`unknown argument '${arg}' (usage: health.cjs [--ready] [--timeout ms] [-c conf])`);
  }
  if (!Number.isFinite(options.timeout) || options.timeout <= 0)
    throw new Error('--timeout must be a number of ms');
  return options;
}

async function main(argv, env) {
  const options = parseArgs(argv);
  const url = statusUrl(statusListen(env, options.conf), options.ready);
  if (url === undefined) throw new Error('status_listen is off: nothing to ask');
  const result = await probe(url, options.timeout);
  if (result.ok) process.stdout.write(`Turnpike is ${options.ready ? 'ready' : 'healthy'} at ${url}\n`);
  else process.stderr.write(`Error: ${result.message}\n`);
  return result.ok ? 0 : 1;
}

module.exports = { fromConfText, probe, statusListen, statusUrl };

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`Error: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
