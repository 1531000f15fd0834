/**
 * Which prometheus plugin instance applies to a route, compiled once per configuration version
 * from its plugin entities (Kong's precedence without consumers: route + service, route, service,
 * global), and the consumers' usernames (the `consumer` label). Pure: a function of the content.
 */

/** The plugin's switches (kong/plugins/prometheus/schema.lua), all off by default as Kong's. */
export interface PrometheusSwitches {
  readonly per_consumer: boolean;
  readonly status_code_metrics: boolean;
  readonly latency_metrics: boolean;
  readonly bandwidth_metrics: boolean;
  readonly upstream_health_metrics: boolean;
}

export interface PrometheusConfig {
  /** By route id; a route absent here is not measured (no instance applies to it). */
  readonly byRoute: ReadonlyMap<string, PrometheusSwitches>;
  /** Some enabled instance asks for upstream health (Kong: a global property of the node). */
  readonly upstreamHealth: boolean;
  /** Consumer id → username (Kong's `consumer` label is the username). */
  readonly consumers: ReadonlyMap<string, string>;
  /** Any enabled instance at all: per-request series are exported only then, as Kong's. */
  readonly enabled: boolean;
}

export const NO_PROMETHEUS: PrometheusConfig = {
  byRoute: new Map(),
  upstreamHealth: false,
  consumers: new Map(),
  enabled: false,
};

type Content = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

interface PluginEntity {
  readonly name?: string;
  readonly enabled?: boolean;
  readonly config?: Record<string, unknown> | null;
  readonly route?: { readonly id: string } | null;
  readonly service?: { readonly id: string } | null;
  readonly consumer?: { readonly id: string } | null;
}

interface RouteEntity {
  readonly id: string;
  readonly service?: { readonly id: string } | null;
}

function switchesOf(config: Record<string, unknown> | null | undefined): PrometheusSwitches {
  const c = config ?? {};
  return {
    per_consumer: c.per_consumer === true,
    status_code_metrics: c.status_code_metrics === true,
    latency_metrics: c.latency_metrics === true,
    bandwidth_metrics: c.bandwidth_metrics === true,
    upstream_health_metrics: c.upstream_health_metrics === true,
  };
}

/** The prometheus settings of one configuration version's entities. */
export function prometheusConfigOf(content: Content | undefined): PrometheusConfig {
  const plugins = content?.get('plugins');
  if (plugins === undefined) return NO_PROMETHEUS;
  let global: PrometheusSwitches | undefined;
  const byService = new Map<string, PrometheusSwitches>();
  const byRouteOnly = new Map<string, PrometheusSwitches>();
  const byRouteAndService = new Map<string, PrometheusSwitches>();
  let upstreamHealth = false;
  let enabled = false;
  for (const value of plugins.values()) {
    const plugin = value as PluginEntity;
    if (plugin.name !== 'prometheus' || plugin.enabled === false) continue;
    // A consumer-scoped instance is not applied (see README): metrics are per route.
    if (plugin.consumer != null) continue;
    enabled = true;
    const switches = switchesOf(plugin.config);
    if (switches.upstream_health_metrics) upstreamHealth = true;
    const route = plugin.route?.id;
    const service = plugin.service?.id;
    if (route !== undefined && service !== undefined) byRouteAndService.set(`${route}|${service}`, switches);
    else if (route !== undefined) byRouteOnly.set(route, switches);
    else if (service !== undefined) byService.set(service, switches);
    else global = switches;
  }
  if (!enabled) return NO_PROMETHEUS;
  const byRoute = new Map<string, PrometheusSwitches>();
  for (const value of content?.get('routes')?.values() ?? []) {
    const route = value as RouteEntity;
    const service = route.service?.id;
    const switches =
      (service === undefined ? undefined : byRouteAndService.get(`${route.id}|${service}`)) ??
      byRouteOnly.get(route.id) ??
      (service === undefined ? undefined : byService.get(service)) ??
      global;
    if (switches !== undefined) byRoute.set(route.id, switches);
  }
  const consumers = new Map<string, string>();
  for (const value of content?.get('consumers')?.values() ?? []) {
    const consumer = value as { id: string; username?: string | null };
    if (typeof consumer.username === 'string') consumers.set(consumer.id, consumer.username);
  }
  return { byRoute, upstreamHealth, consumers, enabled };
}
