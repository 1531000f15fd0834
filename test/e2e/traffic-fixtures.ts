/**
 * Shared by the traffic plugin e2e tests (plugins-<name>.test.ts): ids, routes on one recording
 * upstream, plugin instances at each scope, and one proxy (plugin-fixtures.ts) serving them.
 */
import { DEFAULT_SETTINGS, type ProxySettings } from '@turnpike/data-plane/proxy';
import { bundledPlugins, type Entities, type PluginProxy, pluginProxy } from './plugin-fixtures.ts';
import { type RecordingUpstream, recordingUpstream, type UpstreamHandler } from './proxy-fixtures.ts';

/** A fixed UUID per name, readable in failures: `uid(7)` → 00000000-0000-4000-8000-000000000007. */
export function uid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export const SERVICE_ID = uid(1);

export function routeOn(id: string, path: string, extra: Record<string, unknown> = {}) {
  return { id, paths: [path], service: { id: SERVICE_ID }, ...extra };
}

/** A plugin instance: `scope` names the route, service and consumer it applies to (none: global). */
export function instance(
  name: string,
  config: Record<string, unknown>,
  scope: { route?: string; service?: string; consumer?: string } = {},
) {
  return {
    id: crypto.randomUUID(),
    name,
    config,
    ...(scope.route === undefined ? {} : { route: { id: scope.route } }),
    ...(scope.service === undefined ? {} : { service: { id: scope.service } }),
    ...(scope.consumer === undefined ? {} : { consumer: { id: scope.consumer } }),
  };
}

export interface TrafficRig extends AsyncDisposable {
  readonly upstream: RecordingUpstream;
  readonly proxy: PluginProxy;
  readonly port: number;
}

/**
 * One recording upstream (the echo handler unless given) behind SERVICE_ID, and a proxy serving
 * `entities` with it; the proxy trusts 127.0.0.1 and ::1, so tests name a client with X-Real-IP.
 */
export async function trafficRig(
  entities: (upstreamPort: number) => Entities,
  options: { handler?: UpstreamHandler; settings?: Partial<ProxySettings> } = {},
): Promise<TrafficRig> {
  const plugins = await bundledPlugins();
  const upstream = await recordingUpstream(options.handler);
  try {
    const given = entities(upstream.port);
    const all: Entities = {
      ...given,
      services: [
        { id: SERVICE_ID, protocol: 'http', host: '127.0.0.1', port: upstream.port },
        ...(given.services ?? []),
      ],
    };
    const settings: ProxySettings = {
      ...DEFAULT_SETTINGS,
      trustedIps: ['127.0.0.1', '::1'],
      ...options.settings,
    };
    const proxy = await pluginProxy(plugins, all, new Map(), { settings });
    return {
      upstream,
      proxy,
      port: proxy.port,
      async [Symbol.asyncDispose]() {
        await proxy[Symbol.asyncDispose]();
        await upstream[Symbol.asyncDispose]();
      },
    };
  } catch (err) {
    await upstream[Symbol.asyncDispose]();
    throw err;
  }
}
