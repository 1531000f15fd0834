/**
 * The bundled plugins: their folder and names, for the plugin loader (`plugins = bundled`).
 * Only constants, so a control plane can name the folder without loading any plugin code.
 */
import { fileURLToPath } from 'node:url';

export const BUNDLED_PLUGINS = [
  'correlation-id',
  'bot-detection',
  'cors',
  'jwt',
  'oauth2',
  'key-auth',
  'basic-auth',
  'hmac-auth',
  'ip-restriction',
  'request-size-limiting',
  'acl',
  'rate-limiting',
  'response-ratelimiting',
  'request-transformer',
  'response-transformer',
  'proxy-cache',
  'prometheus',
  'http-log',
  'opentelemetry',
  'zipkin',
  'file-log',
  'tcp-log',
  'udp-log',
  'statsd',
  'syslog',
  'request-termination',
  'grpc-gateway',
  'grpc-web',
] as const;

/** This folder: one subfolder per bundled plugin, each with schema.ts and handler.ts. */
export const BUNDLED_PLUGINS_DIR = fileURLToPath(new URL('.', import.meta.url));
