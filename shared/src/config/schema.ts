import { type Static, Type } from '@sinclair/typebox';
import {
  annotationsOf,
  csp,
  dsn,
  flag,
  hostPort,
  integer,
  list,
  listen,
  listOf,
  oneOf,
  path,
  type Section,
  size,
  text,
  url,
  urlPath,
  uuid,
  type ValueKind,
  workers,
} from './keys.ts';

/** Kong's log levels (kong.conf `log_level`), most verbose first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'] as const;
export type KongLogLevel = (typeof LOG_LEVELS)[number];

/** Tokens Kong accepts in `headers` (kong/conf_loader/constants.lua HEADER_KEY_TO_NAME). */
export const HEADER_TOKENS = [
  'off',
  'server_tokens',
  'latency_tokens',
  'Server',
  'Via',
  'X-Kong-Proxy-Latency',
  'X-Kong-Response-Latency',
  'X-Kong-Admin-Latency',
  'X-Kong-Upstream-Latency',
  'X-Kong-Upstream-Status',
  'X-Kong-Request-Id',
] as const;

/** Tokens Kong accepts in `headers_upstream` (kong/conf_loader/constants.lua UPSTREAM_HEADER_KEY_TO_NAME). */
export const UPSTREAM_HEADER_TOKENS = ['off', 'X-Kong-Request-Id'] as const;

export const DNS_RECORD_TYPES = ['LAST', 'SRV', 'A', 'AAAA', 'CNAME'] as const;

const opt = Type.Optional;

/**
 * Every turnpike.conf key: Kong's kong.conf names and defaults unless the description
 * says otherwise. The order here is the order of turnpike.conf.default.
 */
export const TurnpikeConfigSchema = Type.Object({
  // GENERAL
  prefix: path({
    section: 'general',
    default: '.turnpike',
    description:
      'Working directory: pid file, logs, embedded database and cache files. A relative path is resolved against the current directory.',
  }),
  role: oneOf(['traditional', 'control_plane', 'data_plane'] as const, {
    section: 'general',
    default: 'traditional',
    description:
      'traditional runs the Admin API and the proxy in one process; control_plane owns the datastore and the Admin API and pushes configuration to data_plane nodes, which only proxy.',
  }),
  log_level: oneOf(LOG_LEVELS, {
    section: 'general',
    default: 'notice',
    description: 'Log verbosity, one of: debug, info, notice, warn, error, crit, alert, emerg.',
  }),
  proxy_access_log: path({
    section: 'general',
    default: 'logs/access.log',
    description:
      'Proxy access log: a path relative to the prefix, an absolute path, /dev/stdout, /dev/stderr, or off. One line per request in Kong’s kong_log_format (nginx combined plus kong_request_id), or JSON (proxy_access_log_format); written asynchronously, reopened on SIGUSR1 and reload.',
  }),
  proxy_access_log_format: oneOf(['kong', 'json'] as const, {
    section: 'general',
    default: 'kong',
    description:
      'Turnpike addition: the proxy access log’s format: kong (Kong’s kong_log_format) or json (one object per line: request_id, client_ip, request, response, route, service, consumer, upstream_addr, upstream_status, latencies {kong, proxy, request} in ms).',
  }),
  proxy_error_log: path({
    section: 'general',
    default: 'logs/error.log',
    description:
      'Where the proxy workers’ warnings and errors also go (pino JSON lines, level warn and above): a path relative to the prefix, /dev/stdout, /dev/stderr, or off. Every log line still goes to stdout.',
  }),
  admin_access_log: path({
    section: 'general',
    default: 'logs/admin_access.log',
    description:
      'Admin API access log (nginx combined format): a path relative to the prefix, an absolute path, /dev/stdout, /dev/stderr, or off.',
  }),
  admin_error_log: path({
    section: 'general',
    default: 'logs/error.log',
    description:
      'Where the main process’s warnings and errors (Admin API, control plane, sync) also go; a data plane’s main process uses proxy_error_log.',
  }),
  status_access_log: path({
    section: 'general',
    default: 'off',
    description: 'Status API access log (nginx combined format), or off.',
  }),
  status_error_log: path({
    section: 'general',
    default: 'logs/status_error.log',
    description:
      'Where the status listener’s warnings and errors also go (malformed requests, failed handlers; pino JSON lines): a path relative to the prefix, /dev/stdout, /dev/stderr, or off.',
  }),
  plugins: list({
    section: 'general',
    default: 'bundled',
    description:
      'Plugins this node loads: `bundled` for every bundled plugin, plus custom plugin names (`bundled,my-plugin`), or `off` for none. Every node of a cluster needs the plugins its configuration uses (docs/plugins.md).',
  }),
  plugin_paths: list({
    section: 'general',
    description:
      'Turnpike addition: folders searched for custom plugins (after the bundled folder), in order: `<folder>/<name>/` with schema and handler modules, or a Kong JS plugin `<folder>/<name>.js`. The node’s node_modules come last (`turnpike-plugin-<name>`); `turnpike plugin install` writes to the first folder.',
  }),
  node_id: opt(uuid({ section: 'general', description: 'This node’s id (a UUID); generated when unset.' })),
  worker_processes: workers({
    section: 'general',
    default: 'auto',
    description:
      'Worker processes: `auto` (one per CPU) or a positive number. Kong calls it nginx_worker_processes (an alias here).',
  }),
  headers: listOf(HEADER_TOKENS, {
    section: 'general',
    default: 'server_tokens, latency_tokens, X-Kong-Request-Id',
    description:
      'Headers added to responses: server_tokens, latency_tokens, Server, Via, X-Kong-Proxy-Latency, X-Kong-Response-Latency, X-Kong-Admin-Latency, X-Kong-Upstream-Latency, X-Kong-Upstream-Status, X-Kong-Request-Id, or off.',
  }),
  headers_upstream: listOf(UPSTREAM_HEADER_TOKENS, {
    section: 'general',
    default: 'X-Kong-Request-Id',
    description:
      'Headers added to requests sent upstream: X-Kong-Request-Id (the request id, replacing any the client sent), or off.',
  }),
  trusted_ips: list(
    {
      section: 'general',
      description: 'IP addresses and CIDR blocks whose X-Forwarded-* and real IP headers are trusted.',
    },
    'ip-or-cidr',
  ),
  real_ip_header: text({
    section: 'general',
    default: 'X-Real-IP',
    description: 'Header carrying the client address when the peer is trusted.',
  }),
  real_ip_recursive: flag({
    section: 'general',
    default: 'off',
    description: 'Take the last untrusted address of real_ip_header instead of the last one.',
  }),
  error_default_type: oneOf(['text/plain', 'application/json', 'application/xml', 'text/html'] as const, {
    section: 'general',
    default: 'text/plain',
    description:
      'Format of the errors the proxy makes as nginx does in Kong (limits, 502, 504) when the request has neither Accept nor Content-Type; errors like no route answer JSON then, as in Kong.',
  }),

  // HYBRID MODE
  cluster_mtls: oneOf(['shared', 'pki', 'pki_check_cn', 'off'] as const, {
    section: 'hybrid',
    default: 'shared',
    description:
      'How control and data planes authenticate each other: shared (one certificate, from turnpike hybrid gen_cert), pki (certificates signed by cluster_ca_cert), pki_check_cn (pki, and the data plane certificate’s CN must be one of cluster_allowed_common_names, or share the parent domain of the control plane’s CN when that is unset), or off (plaintext; development only).',
  }),
  cluster_cert: opt(path({ section: 'hybrid', description: 'Cluster certificate (PEM file).' })),
  cluster_cert_key: opt(
    path({ section: 'hybrid', secret: true, description: 'Cluster certificate key (PEM file).' }),
  ),
  cluster_ca_cert: opt(
    path({ section: 'hybrid', description: 'CA certificate for cluster_mtls = pki (PEM file).' }),
  ),
  cluster_server_name: opt(
    text({
      section: 'hybrid',
      description: 'Server name (SNI) the data plane expects from the control plane.',
    }),
  ),
  cluster_allowed_common_names: list({
    section: 'hybrid',
    description:
      'Control plane with cluster_mtls = pki or pki_check_cn: the only data plane certificate common names allowed to connect. Unset, pki checks no CN (as Kong) and pki_check_cn admits those sharing the parent domain of the control plane certificate’s CN (as Kong Enterprise).',
  }),
  cluster_listen: listen({
    section: 'hybrid',
    default: '0.0.0.0:8005',
    description: 'Where the control plane listens for data planes.',
  }),
  cluster_control_plane: hostPort({
    section: 'hybrid',
    default: '127.0.0.1:8005',
    description: 'The control plane a data plane connects to: host:port.',
  }),
  cluster_data_plane_purge_delay: integer({
    section: 'hybrid',
    default: '1209600',
    minimum: 60,
    description:
      'Seconds after which a data plane not seen (no message, no heartbeat) is removed from /clustering/data-planes, as Kong (60 or more).',
  }),
  cluster_max_reconnect_delay: integer({
    section: 'hybrid',
    default: '30',
    minimum: 1,
    maximum: 3600,
    description:
      'Turnpike addition: the longest a data plane waits, in seconds, between two attempts to reach its control plane (exponential backoff with full jitter up to this cap; a control plane coming back is noticed within a second whatever the wait). A refused data plane waits all of it.',
  }),
  cluster_max_payload: integer({
    section: 'hybrid',
    default: '16777216',
    minimum: 4194304,
    description: 'Largest configuration snapshot, in bytes, sent to a data plane (4194304 or more).',
  }),

  // LISTENERS
  proxy_listen: listen({
    section: 'listeners',
    default: '0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384',
    description:
      'Proxy listeners: <ip>:<port> [ssl] [http2] [proxy_protocol] [reuseport] [backlog=N], comma-separated, or off.',
  }),
  stream_listen: listen({
    section: 'listeners',
    default: 'off',
    description:
      "Stream listeners for tcp, tls and tls_passthrough routes, and with udp for udp routes: <ip>:<port> [ssl] [udp] [proxy_protocol] [reuseport] [backlog=N], comma-separated, or off. With ssl, TLS is terminated with the certificate of the SNI. With udp, each client address and port is a session (its datagrams go to one upstream peer, the replies come back) that ends after the service's read_timeout without a datagram either way. With proxy_protocol, a PROXY v1/v2 header must come first (before the TLS handshake on an ssl listener); from a peer in trusted_ips its client address is the one sources and ip-restriction see.",
  }),
  admin_listen: listen({
    section: 'listeners',
    default: '127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384',
    description:
      'Admin API listeners, or off. A non-loopback address requires admin_token (unless admin_auth = off).',
  }),
  status_listen: listen({
    section: 'listeners',
    default: '127.0.0.1:8100 reuseport backlog=16384',
    description: 'Status API listeners (/status, /status/ready, /metrics), or off. Turnpike default: on.',
  }),

  // ADMIN GUI
  admin_gui_listen: listen({
    section: 'gui',
    default: '127.0.0.1:8002',
    description:
      'Admin GUI listeners (a control plane or traditional node serves it), or off. Turnpike default: loopback only (Kong: 0.0.0.0:8002, 0.0.0.0:8445 ssl); an ssl listener uses admin_gui_ssl_cert.',
  }),
  admin_gui_url: list(
    {
      section: 'gui',
      description:
        'The URLs browsers open the Admin GUI at: http(s)://host[:port][/path], comma-separated. Their origins are the only ones the Admin API answers cross-origin requests from; unset, the origins of admin_gui_listen (loopback names for a loopback or wildcard bind).',
    },
    'url',
  ),
  admin_gui_api_url: opt(
    url({
      section: 'gui',
      description:
        'Where the Admin GUI finds the Admin API: [http(s)://]host[:port][/path]. Unset, the host the GUI was loaded from with the first admin_listen port.',
    }),
  ),
  admin_gui_path: urlPath({
    section: 'gui',
    default: '/',
    description:
      'The path prefix the Admin GUI is served under (Kong Manager’s base path): starts with /, no trailing /, letters, digits, -, _ and /. Update the path of admin_gui_url with it.',
  }),
  admin_gui_csp_header: flag({
    section: 'gui',
    default: 'on',
    description:
      "Send a Content-Security-Policy header with every Admin GUI answer. On by default (Kong 3.10's default is off: the GUI holds an admin token, and needs nothing the policy forbids). Off, none is sent. On, admin_gui_csp_header_value, or unset Turnpike's strict policy: default-src 'none', scripts, styles, fonts and images from the GUI's own origin only (images also data:), connect-src the GUI and the Admin API, no framing, no base or form targets. The GUI needs nothing that policy forbids.",
  }),
  admin_gui_csp_header_value: opt(
    csp({
      section: 'gui',
      description:
        "The Content-Security-Policy value sent when admin_gui_csp_header = on, instead of Turnpike's strict policy: ;-separated directives, printable ASCII; $host is replaced by the request's host name, as Kong's nginx does. Ignored, with a warning, while admin_gui_csp_header is off. Kong adds this key after 3.10.0; Turnpike accepts it already.",
    }),
  ),
  admin_gui_ssl_cert: list({ section: 'gui', description: 'Admin GUI TLS certificates (PEM files).' }),
  admin_gui_ssl_cert_key: list({
    section: 'gui',
    secret: true,
    description: 'Admin GUI TLS certificate keys.',
  }),

  // ADMIN API
  admin_auth: flag({
    section: 'admin',
    default: 'on',
    description: 'Turnpike addition: require admin_token (Kong-Admin-Token header) on Admin API requests.',
  }),
  admin_token: opt(
    text({
      section: 'admin',
      secret: true,
      description: 'Turnpike addition: the token Admin API clients send in the Kong-Admin-Token header.',
    }),
  ),

  // TLS
  ssl_cert: list({
    section: 'tls',
    description: 'Proxy TLS certificates (PEM files), one per key in ssl_cert_key.',
  }),
  ssl_cert_key: list({
    section: 'tls',
    secret: true,
    description: 'Proxy TLS certificate keys (PEM files).',
  }),
  admin_ssl_cert: list({ section: 'tls', description: 'Admin API TLS certificates (PEM files).' }),
  admin_ssl_cert_key: list({ section: 'tls', secret: true, description: 'Admin API TLS certificate keys.' }),

  // PROXY AND CLIENT REQUESTS
  client_max_body_size: size({
    section: 'proxy',
    default: '0',
    description:
      'Largest request body accepted (e.g. 8k, 1m); 0 means unlimited. Kong calls it nginx_http_client_max_body_size (an alias here).',
  }),
  client_body_buffer_size: size({
    section: 'proxy',
    default: '8k',
    description:
      "Request bodies of routes with request_buffering (the default) are held in memory up to this size (e.g. 8k, 1m), then in a file under the prefix's client_body_temp folder until they are proxied.",
  }),
  client_header_max_size: size({
    section: 'proxy',
    default: '8k',
    description: 'Turnpike key: largest request line plus headers accepted, in bytes (e.g. 8k).',
  }),
  mem_cache_size: size({
    section: 'proxy',
    default: '128m',
    description:
      "The size of Kong's kong_db_cache: what the memory strategy of proxy-cache holds on this node (e.g. 128m), per dictionary (memory.dictionary_name), split evenly between the proxy workers, which each keep their own store (Kong's shared dictionary is one per node); the least recently used entries go first. 0 caches nothing. Kong's entity caches, which it also sizes, do not exist here: data planes hold the whole configuration in memory.",
  }),
  client_header_max_count: integer({
    section: 'proxy',
    default: '100',
    minimum: 1,
    description: 'Turnpike key: most request headers accepted.',
  }),
  client_header_timeout: integer({
    section: 'proxy',
    default: '60000',
    minimum: 0,
    description: 'Turnpike key: milliseconds a client has to send the request headers.',
  }),
  keepalive_timeout: integer({
    section: 'proxy',
    default: '60000',
    minimum: 0,
    description: 'Turnpike key: milliseconds an idle client connection stays open.',
  }),
  router_flavor: oneOf(['traditional_compatible', 'traditional', 'expressions'] as const, {
    section: 'proxy',
    default: 'traditional_compatible',
    description:
      "How routes match, as Kong's router_flavor: traditional_compatible (Kong 3's default; path_handling v1 is applied as v0, as Kong 3 does, and a route host's :port is compared with the port the client connected to when the Host header has none) or traditional (path_handling v1 applied; a Host without a port has the scheme's default port). expressions is not supported yet.",
  }),
  declarative_config: opt(
    path({
      section: 'proxy',
      description:
        'A declarative configuration file (kong.yml, _format_version 1.1, 2.1 or 3.0). With database = off, the whole configuration, loaded at start (POST /config replaces it); on a data plane, what it serves when it has no cache and no control plane answers.',
    }),
  ),
  declarative_config_string: opt(
    text({
      section: 'proxy',
      secret: true,
      description:
        'The declarative configuration itself (YAML or JSON), as declarative_config; when both are set, the file wins, as in Kong.',
    }),
  ),

  // UPSTREAM CONNECTIONS
  upstream_keepalive_pool_size: integer({
    section: 'upstream',
    default: '512',
    minimum: 0,
    description: 'Idle connections kept per upstream; 0 disables keep-alive.',
  }),
  upstream_keepalive_max_requests: integer({
    section: 'upstream',
    default: '1000',
    minimum: 0,
    description: 'Requests sent over one upstream connection before it is closed; 0 means unlimited.',
  }),
  upstream_keepalive_idle_timeout: integer({
    section: 'upstream',
    default: '60',
    minimum: 0,
    description: 'Seconds an idle upstream connection is kept; 0 means no limit.',
  }),

  // DATASTORE
  database: oneOf(['embedded', 'postgres', 'off'] as const, {
    section: 'datastore',
    default: 'embedded',
    description:
      'Turnpike default: embedded (PGlite, in process). postgres uses dsn or the pg_* keys; off runs without a database (declarative_config).',
  }),
  dsn: opt(
    dsn({
      section: 'datastore',
      secret: true,
      description:
        'Ory Kratos style: memory (embedded, not persisted), pglite:///abs/dir or pglite://./rel/dir (embedded, persisted), or a postgres:// URL. Wins over the pg_* keys.',
    }),
  ),
  pg_host: text({ section: 'datastore', default: '127.0.0.1', description: 'PostgreSQL host.' }),
  pg_port: integer({
    section: 'datastore',
    default: '5432',
    minimum: 1,
    maximum: 65535,
    description: 'PostgreSQL port.',
  }),
  pg_user: text({ section: 'datastore', default: 'turnpike', description: 'PostgreSQL user.' }),
  pg_password: opt(text({ section: 'datastore', secret: true, description: 'PostgreSQL password.' })),
  pg_database: text({ section: 'datastore', default: 'turnpike', description: 'PostgreSQL database.' }),
  pg_schema: opt(
    text({ section: 'datastore', description: 'PostgreSQL schema; the server default when unset.' }),
  ),
  pg_timeout: integer({
    section: 'datastore',
    default: '5000',
    minimum: 0,
    description:
      'Milliseconds to wait for a PostgreSQL connection, or for a free one in the pool. Kong applies it to reads and writes too; Turnpike does not yet.',
  }),
  pg_ssl: flag({ section: 'datastore', default: 'off', description: 'Use TLS to PostgreSQL.' }),
  pg_ssl_verify: flag({
    section: 'datastore',
    default: 'off',
    description: 'Verify the PostgreSQL server certificate (with pg_ssl = on).',
  }),
  pg_max_concurrent_queries: integer({
    section: 'datastore',
    default: '0',
    minimum: 0,
    description:
      'Most queries in flight at once on this node (the connection pool is no larger); 0 means pg_pool_size alone limits them.',
  }),
  pg_pool_size: integer({
    section: 'datastore',
    default: '10',
    minimum: 1,
    description: 'Turnpike default: connections in the PostgreSQL pool.',
  }),
  run_migrations: flag({
    section: 'datastore',
    default: 'off',
    description: 'Turnpike key: run pending migrations when the node starts.',
  }),
  db_update_frequency: integer({
    section: 'datastore',
    default: '5',
    minimum: 1,
    description: 'Seconds between checks for configuration changes made through another control plane.',
  }),

  // DNS RESOLVER
  dns_resolver: list(
    {
      section: 'dns',
      description:
        "DNS servers (ip, ip:port or [ipv6]:port) asked for every upstream name, services' hosts and targets alike; the system's (resolv.conf) when unset.",
    },
    'ip-with-port',
  ),
  dns_hostsfile: path({
    section: 'dns',
    default: '/etc/hosts',
    description: 'Hosts file, read at start (it must exist); its names are answered before DNS is asked.',
  }),
  dns_order: listOf(DNS_RECORD_TYPES, {
    section: 'dns',
    default: 'LAST,A,CNAME',
    description:
      'Record types tried, in order: LAST (the type that last answered the name), A, AAAA, CNAME. Turnpike default without SRV: SRV records are not supported yet (refused).',
  }),
  dns_valid_ttl: opt(
    integer({
      section: 'dns',
      minimum: 0,
      description: 'Seconds every DNS answer is kept, overriding its TTL (hosts file entries do not expire).',
    }),
  ),
  dns_stale_ttl: integer({
    section: 'dns',
    default: '3600',
    minimum: 0,
    description: 'Seconds a stale record may be served while it is refreshed.',
  }),
  dns_not_found_ttl: integer({
    section: 'dns',
    default: '30',
    minimum: 0,
    description: 'Seconds before a name that does not exist or has no address is asked again.',
  }),
  dns_error_ttl: integer({
    section: 'dns',
    default: '1',
    minimum: 0,
    description: 'Seconds before a name whose resolution failed (DNS server error, timeout) is asked again.',
  }),

  // SECRETS
  secrets_default: list(
    {
      section: 'secrets',
      secret: true,
      description:
        'Ory Kratos style: keys (16 characters or more) that encrypt sensitive fields at rest; the first encrypts, all decrypt, so keys can rotate.',
    },
    'secret-key',
  ),
});

export type TurnpikeConfig = Static<typeof TurnpikeConfigSchema>;
export type ConfigKey = keyof TurnpikeConfig & string;
export type ListenEntry = TurnpikeConfig['proxy_listen'][number];
/** Where each key's value came from: `default`, `turnpike.conf:12`, `TURNPIKE_PG_PORT`… */
export type ConfigSources = Record<ConfigKey, string>;

/** One key's documentation, for turnpike.conf.default, `turnpike config` and docs. */
export interface ConfigKeyInfo {
  readonly name: ConfigKey;
  readonly kind: ValueKind;
  readonly section: Section;
  /** The default as written in turnpike.conf; undefined = unset. */
  readonly default: string | undefined;
  readonly description: string;
  readonly secret: boolean;
  /** Accepted for kong.conf compatibility but without effect yet: why (keys.ts `notImplemented`). */
  readonly notImplemented: string | undefined;
}

export const CONFIG_KEYS: readonly ConfigKeyInfo[] = Object.entries(TurnpikeConfigSchema.properties).map(
  ([name, schema]) => {
    const a = annotationsOf(schema);
    return {
      name: name as ConfigKey,
      kind: a['x-kind'],
      section: a['x-section'],
      default: a['x-default'],
      description: a.description,
      secret: a['x-secret'],
      notImplemented: a['x-not-implemented'],
    };
  },
);

export const SECRET_CONFIG_KEYS: ReadonlySet<ConfigKey> = new Set(
  CONFIG_KEYS.filter((k) => k.secret).map((k) => k.name),
);

export function isConfigKey(name: string): name is ConfigKey {
  return Object.hasOwn(TurnpikeConfigSchema.properties, name);
}
