export { combinedLine, logValue, remoteUser, requestLine } from './combined.ts';
export { LogFiles } from './log-files.ts';
export { logServerAccess } from './server-log.ts';
export { formatTimeLocal, timeLocalNow } from './time-local.ts';
export { type LogTarget, LogWriter, type LogWriterOptions, logTarget, openLog } from './writer.ts';
