/**
 * Delivery to the local syslog daemon. Kong calls syslog(3) through lsyslog (`openlog("kong")`,
 * the `/dev/log` socket). Node has no Unix datagram sockets, so each proxy worker keeps one
 * util-linux `logger` process (`logger --prio-prefix --size 65024 -t kong --id=<pid>`, which sends to /dev/log
 * as syslog(3) does) and writes it one `<priority>json` line per entry. The process is started on
 * the first entry and again after it ends (at most once per RESPAWN_MS); while it is missing or
 * its input is full (MAX_BUFFERED), entries are dropped, counted in
 * `turnpike_log_entries_dropped{plugin="syslog"}` and logged.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { countLogDrops, type Logger } from '@turnpike/plugin-sdk';

const MAX_BUFFERED = 8 * 1024 * 1024;
/** logger splits longer lines (its default is 1 KiB); syslog(3) sends a record whole, in one datagram. */
const MAX_MESSAGE = 64 * 1024 - 512;
const RESPAWN_MS = 5000;
/** The command; the tests and other installs may name another one. */
const LOGGER = process.env.TURNPIKE_SYSLOG_LOGGER ?? 'logger';

let child: ChildProcessWithoutNullStreams | undefined;
let failedAt = Number.NEGATIVE_INFINITY;
let warned = false;

function drop(log: Logger, why: string): void {
  countLogDrops('syslog', 1);
  if (warned) return;
  warned = true;
  log.error(`syslog: dropping entries: ${why}`);
  setTimeout(() => {
    warned = false;
  }, 10_000).unref();
}

function start(log: Logger): ChildProcessWithoutNullStreams | undefined {
  if (performance.now() - failedAt < RESPAWN_MS) return undefined;
  try {
    const started = spawn(
      LOGGER,
      ['--prio-prefix', '--size', String(MAX_MESSAGE), '-t', 'kong', `--id=${process.pid}`],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    started.stdout.resume();
    let stderr = '';
    started.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-500);
    });
    started.stdin.on('error', () => undefined);
    started.on('error', (err) => {
      failedAt = performance.now();
      log.error({ err }, `syslog: could not run '${LOGGER}' (util-linux logger): ${err.message}`);
    });
    started.on('exit', (code) => {
      if (child === started) child = undefined;
      failedAt = performance.now();
      if (code !== 0) log.error({ code, stderr: stderr.trim() }, `syslog: '${LOGGER}' exited`);
    });
    started.unref();
    (started.stdin as unknown as { unref?: () => void }).unref?.();
    return started;
  } catch (err) {
    failedAt = performance.now();
    log.error({ err }, `syslog: could not run '${LOGGER}'`);
    return undefined;
  }
}

/** Sends one entry with `priority`; never throws, never blocks. */
export function sendToSyslog(priority: number, message: string, log: Logger): void {
  child ??= start(log);
  if (child === undefined || child.stdin.destroyed) {
    drop(log, `'${LOGGER}' is not running`);
    return;
  }
  if (child.stdin.writableLength > MAX_BUFFERED) {
    drop(log, 'the syslog writer is not keeping up');
    return;
  }
  child.stdin.write(`<${priority}>${message}\n`);
}
