export * from './config/index.ts';
export * from './errors.ts';
export * from './log.ts';
export { stoppableServer } from './process/http-server.ts';
export * from './process/lifecycle.ts';
export { loadNodeId } from './process/node-id.ts';
export * from './process/pidfile.ts';
export * from './status/server.ts';
export { TURNPIKE_VERSION } from './version.ts';
