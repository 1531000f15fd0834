/**
 * The StatsD lines one request produces (Kong 3.10 kong/plugins/statsd/log.lua and
 * statsd_logger.lua), pure: the log serializer's record and the plugin's configuration in,
 * `prefix.stat:value|type[|@rate][tags]` lines out.
 *
 * As Kong: a `sample_rate` other than 1 is written as `|@rate` and every event is still sent (the
 * StatsD server scales by it); `unique_users`, `request_per_user`, `status_count*` are skipped in
 * tag mode; in tag mode a request without a service is sent untagged; `shdict_usage` reports
 * nginx shared dictionaries, which Turnpike does not have: it sends nothing.
 */
import type { SerializedRecord } from '@turnpike/plugin-sdk';
import type { StatsdConfig } from './schema.ts';

type Metric = StatsdConfig['metrics'][number];
type Tags = readonly (readonly [string, string | number])[];

const STAT_TYPES: Readonly<Record<string, string>> = {
  gauge: 'g',
  counter: 'c',
  timer: 'ms',
  histogram: 'h',
  meter: 'm',
  set: 's',
};

/** Kong's name (and value) for the metrics that are a plain value of the record. */
const PLAIN: Readonly<Record<string, readonly [string, (r: SerializedRecord) => number | undefined]>> = {
  request_size: ['request.size', (r) => r.request.size],
  response_size: ['response.size', (r) => r.response.size],
  latency: ['latency', (r) => r.latencies.request],
  upstream_latency: ['upstream_latency', (r) => r.latencies.proxy],
  kong_latency: ['kong_latency', (r) => r.latencies.kong],
  request_count: ['request.count', () => 1],
};

/** The default workspace: Turnpike has one, as a Kong node without workspaces. */
const WORKSPACE = { id: 'default', name: 'default' } as const;

function field(entity: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined {
  const value = entity?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function consumerId(record: SerializedRecord, identifier: string): string | undefined {
  const consumer = record.consumer;
  if (identifier === 'consumer_id') return field(consumer, 'id');
  return field(consumer, identifier);
}

function serviceId(record: SerializedRecord, identifier: string): string | undefined {
  const service = record.service;
  switch (identifier) {
    case 'service_id':
      return field(service, 'id');
    case 'service_name':
      return field(service, 'name');
    case 'service_host':
      return field(service, 'host');
    default:
      return field(service, 'name') ?? field(service, 'host');
  }
}

function workspaceId(record: SerializedRecord, identifier: string): string {
  return identifier === 'workspace_name' ? record.workspace_name || WORKSPACE.name : WORKSPACE.id;
}

/** Kong's get_scope_name. */
function scopeName(record: SerializedRecord, identifier: string): string {
  if (record.service === undefined) return 'global.unmatched';
  const name = serviceId(record, identifier);
  return `service.${name === undefined ? 'unnamed' : name.replaceAll('.', '_')}`;
}

/** Kong's get_tags: undefined (untagged) when the request has no service. */
function tagsOf(
  record: SerializedRecord,
  metric: Metric,
  conf: StatsdConfig,
  hostname: string,
): Tags | undefined {
  const service = serviceId(record, metric.service_identifier ?? conf.service_identifier_default);
  if (service === undefined) return undefined;
  const tags: [string, string | number][] = [['service', service]];
  const route = field(record.route, 'name') ?? field(record.route, 'id');
  if (route !== undefined) tags.push(['route', route]);
  tags.push([
    'workspace',
    workspaceId(record, metric.workspace_identifier ?? conf.workspace_identifier_default),
  ]);
  const consumer = consumerId(record, metric.consumer_identifier ?? conf.consumer_identifier_default);
  if (consumer !== undefined) tags.push(['consumer', consumer]);
  tags.push(['node', hostname]);
  tags.push(['status', record.response.status]);
  return tags;
}

/** Kong's create_statsd_message. */
export function statsdLine(
  prefix: string,
  stat: string,
  value: string | number,
  kind: string,
  sampleRate: number | null | undefined,
  tags?: Tags,
  style?: string | null,
): string {
  const rate = sampleRate != null && sampleRate !== 1 ? `|@${sampleRate}` : '';
  if (tags === undefined || style == null) return `${prefix}.${stat}:${value}|${kind}${rate}`;
  switch (style) {
    case 'dogstatsd':
      return `${prefix}.${stat}:${value}|${kind}${rate}|#${tags.map(([k, v]) => `${k}:${v}`).join(',')}`;
    case 'influxdb':
      return `${prefix}.${stat},${tags.map(([k, v]) => `${k}=${v}`).join(',')}:${value}|${kind}${rate}`;
    case 'librato':
      return `${prefix}.${stat}#${tags.map(([k, v]) => `${k}=${v}`).join(',')}:${value}|${kind}${rate}`;
    default:
      return `${prefix}.${stat}[${tags.map(([k, v]) => `${k}=${v}`).join(',')}]:${value}|${kind}${rate}`;
  }
}

/** Kong's is_in_range: no list allows every status. */
export function statusAllowed(ranges: readonly string[] | null | undefined, status: number): boolean {
  if (ranges == null) return true;
  for (const range of ranges) {
    const match = /(\d\d\d)-(\d\d\d)/.exec(range);
    if (match !== null && status >= Number(match[1]) && status <= Number(match[2])) return true;
  }
  return false;
}

/** The metric prefix: `prefix`, plus `.node.<hostname>` with hostname_in_prefix outside tag mode. */
export function metricPrefix(conf: StatsdConfig, hostname: string): string {
  return conf.hostname_in_prefix && conf.tag_style == null ? `${conf.prefix}.node.${hostname}` : conf.prefix;
}

/** Every line `record` gives under `conf` (Kong's send_entries_to_upstream_server for one message). */
export function statsdLines(record: SerializedRecord, conf: StatsdConfig, hostname: string): string[] {
  const prefix = metricPrefix(conf, hostname);
  const tagStyle = conf.tag_style ?? null;
  const status = record.response.status;
  const lines: string[] = [];
  for (const metric of conf.metrics) {
    const kind = STAT_TYPES[metric.stat_type] ?? 'c';
    const rate = metric.sample_rate;
    const tags = tagStyle === null ? undefined : tagsOf(record, metric, conf, hostname);
    const scope =
      tagStyle === null
        ? scopeName(record, metric.service_identifier ?? conf.service_identifier_default)
        : '';
    const consumer = consumerId(record, metric.consumer_identifier ?? conf.consumer_identifier_default);
    switch (metric.name) {
      case 'unique_users':
        if (tagStyle === null && consumer !== undefined)
          lines.push(statsdLine(prefix, `${scope}.user.uniques`, consumer, 's', null));
        break;
      case 'request_per_user':
        if (tagStyle === null && consumer !== undefined)
          lines.push(statsdLine(prefix, `${scope}.user.${consumer}.request.count`, 1, 'c', rate));
        break;
      case 'status_count':
        if (tagStyle === null) lines.push(statsdLine(prefix, `${scope}.status.${status}`, 1, 'c', rate));
        break;
      case 'status_count_per_user':
        if (tagStyle === null && consumer !== undefined)
          lines.push(statsdLine(prefix, `${scope}.user.${consumer}.status.${status}`, 1, 'c', rate));
        break;
      case 'status_count_per_workspace':
        if (tagStyle === null) {
          const workspace = workspaceId(
            record,
            metric.workspace_identifier ?? conf.workspace_identifier_default,
          );
          lines.push(statsdLine(prefix, `${scope}.workspace.${workspace}.status.${status}`, 1, 'c', rate));
        }
        break;
      case 'status_count_per_user_per_route': {
        const routeId = field(record.route, 'id');
        if (tagStyle === null && consumer !== undefined && routeId !== undefined)
          lines.push(statsdLine(prefix, `route.${routeId}.user.${consumer}.status.${status}`, 1, 'c', rate));
        break;
      }
      case 'shdict_usage':
        break;
      default: {
        const plain = PLAIN[metric.name];
        if (plain === undefined) break;
        const value = plain[1](record);
        if (value === undefined || value === -1) break;
        lines.push(
          tagStyle === null
            ? statsdLine(prefix, `${scope}.${plain[0]}`, value, kind, rate)
            : statsdLine(prefix, plain[0], value, kind, rate, tags, tagStyle),
        );
      }
    }
  }
  return lines;
}
