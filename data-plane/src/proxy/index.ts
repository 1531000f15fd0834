export { clientErrorStatus, overflowStatus } from './client-error.ts';
export { NO_ROUTE_MESSAGE, SERVER_TOKEN, VIA_TOKEN, WEBSOCKET_ONLY_MESSAGE } from './kong-responses.ts';
export { type ListenerInfo, ProxyPipeline } from './pipeline.ts';
export { CLIENT_CLOSED, RequestEntry, type RequestObserver } from './request-entry.ts';
export { RequestHeaderScanner, type ScannedHeaders } from './request-headers.ts';
export {
  type ProxyListenEntry,
  type RunningProxy,
  type StartProxyOptions,
  startProxy,
} from './server.ts';
export {
  CLIENT_BODY_TEMP,
  DEFAULT_LIMITS,
  DEFAULT_SETTINGS,
  type ProxyLimits,
  type ProxySettings,
  proxySettingsFromConfig,
  type ResponseHeaderFlags,
  responseHeaderFlags,
} from './settings.ts';
export { type SniCallback, sniCallback } from './sni.ts';
export { defaultProxyCertificate, type ProxyTlsOptions, proxyTlsFromConfig } from './tls.ts';
export { WebSocketProxy } from './websocket.ts';
export {
  handshakeStatus,
  isWebSocketOnly,
  isWebSocketUpgrade,
  upgradeAcceptance,
} from './websocket-handshake.ts';
