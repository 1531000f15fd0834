/**
 * The bundled plugins: their folder and names, for the plugin loader (`plugins = bundled`).
 * Only constants, so a control plane can name the folder without loading any plugin code.
 */
import { fileURLToPath } from 'node:url';

export const BUNDLED_PLUGINS = [
  'jwt',
  'oauth2',
  'key-auth',
  'basic-auth',
  'hmac-auth',
  'acl',
  'rate-limiting',
  'response-ratelimiting',
  'proxy-cache',
  'prometheus',
  'http-log',
  'file-log',
] as const;

/** This folder: one subfolder per bundled plugin, each with schema.ts and handler.ts. */
export const BUNDLED_PLUGINS_DIR = fileURLToPath(new URL('.', import.meta.url));
