/** Builders shared by the router's tests (not a test file itself). */

import type { HeaderLookup, RequestKey, ServiceConfig } from './types.ts';

export const SERVICE: ServiceConfig = {
  id: 'svc',
  protocol: 'http',
  host: 'upstream.test',
  port: 80,
  path: null,
};

export function request(
  path: string,
  options: {
    method?: string;
    scheme?: 'http' | 'https';
    host?: string;
    sni?: string;
    headers?: HeaderLookup;
    localPort?: number;
  } = {},
): RequestKey {
  return {
    method: options.method ?? 'GET',
    scheme: options.scheme ?? 'http',
    host: options.host ?? 'gateway.test',
    path,
    headers: options.headers ?? {},
    sni: options.sni,
    localPort: options.localPort,
  };
}
