export * from './config/index.ts';
export { hashPassword, needsRehash, verifyPassword } from './crypto/password.ts';
export * from './errors.ts';
export { KONG_STATUS_MESSAGES } from './kong-messages.ts';
export * from './log.ts';
export { luaPretty, luaQuote } from './lua-pretty.ts';
export {
  cancelHeapSettle,
  requestHeapSettle,
  settleHeapNow,
  settleHeapWhenIdle,
} from './process/heap-settle.ts';
export { stoppableServer } from './process/http-server.ts';
export * from './process/lifecycle.ts';
export { loadNodeId } from './process/node-id.ts';
export * from './process/pidfile.ts';
export {
  addSafetyNetContext,
  FATAL_EXIT_CODE,
  fatalReason,
  installSafetyNet,
  type SafetyNetOptions,
} from './process/safety-net.ts';
export * from './status/metrics.ts';
export type {
  BalancerAdminOp,
  BalancerAnswer,
  BalancerReplySource,
  NodeBalancers,
  UpstreamHealthReport,
  WorkerTargetHealth,
} from './status/node-balancers.ts';
export * from './status/server.ts';
export { TURNPIKE_VERSION } from './version.ts';
