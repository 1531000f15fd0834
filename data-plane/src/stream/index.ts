export { runStreamLog } from './log-phase.ts';
export {
  PREREAD_MS,
  type RunningStreamProxy,
  type StartStreamProxyOptions,
  type StreamListenEntry,
  startStreamProxy,
} from './proxy.ts';
export {
  compileStreamRouter,
  EMPTY_STREAM_ROUTER,
  isStreamRoute,
  matchStream,
  STREAM_PROTOCOLS,
  type StreamKey,
  type StreamProtocol,
  type StreamRoute,
  type StreamRouter,
} from './router.ts';
