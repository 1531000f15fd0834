import type { Level } from 'pino';
import type { KongLogLevel } from './schema.ts';

const PINO_LEVELS: Record<KongLogLevel, Level> = {
  debug: 'debug',
  info: 'info',
  // pino has no notice level: notice lines are informational.
  notice: 'info',
  warn: 'warn',
  error: 'error',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
};

/** Kong's `log_level` (nginx levels) as the pino level that lets the same lines through. */
export function toPinoLevel(level: KongLogLevel): Level {
  return PINO_LEVELS[level];
}
