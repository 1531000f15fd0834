export {
  type AccessLogFormat,
  jsonLogRecord,
  kongLogLine,
  type Latencies,
  latenciesOf,
  loggedStatus,
  ProxyAccessLog,
} from './access-log.ts';
