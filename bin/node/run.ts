import { nativeAddonProblem } from '@turnpike/native';
import {
  cancelHeapSettle,
  claimPrefix,
  createLogger,
  installSafetyNet,
  Lifecycle,
  NodeMetrics,
  ReloadRefusedError,
  releasePrefix,
  requestHeapSettle,
  type StatusSource,
  startStatusServer,
  TURNPIKE_VERSION,
  toError,
} from '@turnpike/shared';
import { LogFiles, logServerAccess } from '@turnpike/shared/access-log';
import { type LoadedConfig, toPinoLevel } from '@turnpike/shared/config';
import { Registry } from 'prom-client';
import { writeReloadResult } from './reload.ts';
import { applyReload, type ReloadablePlanes } from './reload-apply.ts';
import { startRole } from './role.ts';

/** How long a SIGQUIT drain may take before the node closes what is left. `turnpike quit --timeout` is usually shorter. */
const DRAIN_LIMIT_MS = 5 * 60_000;

export interface RunOptions {
  loaded: LoadedConfig;
  /** Re-reads the configuration the same way start did (file + environment), for SIGHUP. */
  reloadConfig: () => Promise<LoadedConfig>;
}

/**
 * One Turnpike node: the parts its role asks for, the status listener, and the signals Kong's
 * CLI speaks — SIGTERM/SIGINT stop, SIGQUIT drains, SIGHUP reloads, SIGUSR2 marks not ready.
 */
export async function runNode(options: RunOptions): Promise<void> {
  let { config } = options.loaded;
  // Kong's *_error_log: a data plane's main process is the proxy's; otherwise the Admin API's.
  const logFiles = new LogFiles(config.prefix);
  const errorLogValue = config.role === 'data_plane' ? config.proxy_error_log : config.admin_error_log;
  // stdout already gets every line.
  const errorLog = errorLogValue.trim() === '/dev/stdout' ? undefined : logFiles.open(errorLogValue);
  const log = createLogger({
    level: toPinoLevel(config.log_level),
    name: 'turnpike',
    ...(errorLog === undefined ? {} : { errorLog }),
  });
  logFiles.reportTo(log);
  // What escapes every guard is logged; the node exits only when its state is no longer sound.
  installSafetyNet({ log });
  // Secrets in `config` are censored by the logger's redact paths (shared/src/log.ts).
  log.debug({ config, sources: options.loaded.sources }, 'configuration');
  for (const warning of options.loaded.warnings) log.warn({ settings: warning.settings }, warning.message);
  const lifecycle = new Lifecycle(log);
  const sources: StatusSource[] = [];
  let draining = false;
  // The status listener answers from the first moment; ready only once the role's parts run.
  let started = false;
  sources.push({
    name: 'node',
    status: () => ({ role: config.role, draining }),
    notReadyReason: () => (draining ? 'draining' : started ? undefined : 'starting'),
  });

  await claimPrefix(config.prefix);
  lifecycle.add({ name: 'pid file', stop: () => releasePrefix(config.prefix) });
  // Added early, so stopped late: the last lines of the parts stopped before it are written out.
  lifecycle.add(logFiles);

  const stop = (mode: 'now' | 'drain', signal: string) => {
    log.info({ signal, mode }, 'signal received');
    lifecycle.stop(mode, DRAIN_LIMIT_MS).then(
      () => {
        log.info('stopped');
        log.flush();
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err: toError(err) }, 'stop failed');
        log.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('now', 'SIGTERM'));
  process.on('SIGINT', () => stop('now', 'SIGINT'));
  process.on('SIGQUIT', () => stop('drain', 'SIGQUIT'));
  process.on('SIGUSR2', () => {
    draining = true;
    log.info('draining: readiness now answers 503');
  });
  // nginx's SIGUSR1: reopen the log files (logrotate moved them). Node's own SIGUSR1 (start the
  // inspector) is given up for it, as nginx's meaning is what log rotation setups send.
  process.on('SIGUSR1', () => {
    logFiles.reopen();
    log.info('log files reopened');
  });
  let planes: ReloadablePlanes | undefined;
  process.on('SIGHUP', () => {
    options
      .reloadConfig()
      .then((next) => {
        if (planes === undefined) throw new ReloadRefusedError('the node is still starting');
        return applyReload(config, next, planes, log);
      })
      .then(
        async (next) => {
          config = next;
          log.level = toPinoLevel(next.log_level);
          log.info('configuration reloaded');
          logFiles.reopen();
          await writeReloadResult(config.prefix, { at: Date.now(), ok: true, message: 'reloaded' });
        },
        async (err: unknown) => {
          const error = toError(err);
          log.error({ err: error }, 'reload refused: the running configuration is kept');
          await writeReloadResult(config.prefix, { at: Date.now(), ok: false, message: error.message });
        },
      );
  });

  try {
    const metrics = new NodeMetrics(new Registry());
    const statusListen = config.status_listen[0];
    if (statusListen !== undefined) {
      // Kong's status_error_log: the status listener's warnings and errors also go there.
      const statusErrorValue = config.status_error_log.trim();
      const statusErrorLog = statusErrorValue === '/dev/stdout' ? undefined : logFiles.open(statusErrorValue);
      const statusLog =
        statusErrorLog === undefined
          ? log
          : createLogger({
              level: toPinoLevel(config.log_level),
              name: 'turnpike',
              errorLog: statusErrorLog,
            });
      const status = await startStatusServer({
        host: statusListen.host,
        port: statusListen.port,
        log: statusLog,
        version: TURNPIKE_VERSION,
        role: config.role,
        sources: () => sources,
        metrics,
      });
      lifecycle.add(status);
      const statusAccessLog = logFiles.open(config.status_access_log);
      if (statusAccessLog !== undefined) logServerAccess(status.server, statusAccessLog);
    }
    const parts = await startRole({
      config,
      sources: options.loaded.sources,
      log,
      lifecycle,
      metrics,
      logFiles,
    });
    sources.push(...parts.status);
    planes = parts.planes;
    started = true;
  } catch (err) {
    log.error({ err: toError(err) }, 'start failed');
    await lifecycle.stop('now', 5000);
    throw err;
  }
  log.info({ role: config.role, prefix: config.prefix, version: TURNPIKE_VERSION }, 'Turnpike started');
  // The addon is optional: said once, so that a node running without it is not a mystery.
  const native = nativeAddonProblem();
  if (native !== undefined)
    log.warn(
      { native },
      'native addon not loaded: the C heap is not trimmed and stream bytes are piped in JavaScript',
    );
  // Start-up's garbage given back once the node is idle (forked proxy workers do their own).
  requestHeapSettle({ log });
  lifecycle.signal.addEventListener('abort', cancelHeapSettle, { once: true });
}
