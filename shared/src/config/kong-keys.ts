import type { ConfigKey } from './schema.ts';

/**
 * Every kong.conf key of Kong 3.10 (kong.conf.default and kong/templates/kong_defaults.lua) that
 * Turnpike does not have under the same name, and what it does with it. A key of Kong's that is
 * in schema.ts is implemented with Kong's meaning; every other one is listed here, in exactly one
 * class (kong-keys.test.ts checks both files against this table):
 *
 * - `alias`: implemented, under Turnpike's name (Kong's nginx-level names for what Turnpike has);
 * - `ignored`: it concerns only nginx, Lua or a part Turnpike does not have, and changes nothing
 *   a client or an operator can observe here: accepted, listed in one warning with its source;
 * - `refused`: it would change behaviour and Turnpike does not do it yet: an error naming key and
 *   source ("not supported yet"), unless its value is one of `accepts`, the values that ask for
 *   what Turnpike does anyway (`stream_listen = off`).
 *
 * Keys of Kong's dynamic namespaces (`nginx_http_*` injected directives, `vault_*`,
 * `pluginserver_*`) that are not listed follow PREFIX_RULES.
 */
export type KongKeyRule =
  | { readonly kind: 'alias'; readonly of: ConfigKey }
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'refused'; readonly why: string; readonly accepts?: readonly string[] };

const NGINX = 'an nginx setting: Turnpike is not nginx';
const LUA = 'a Lua / OpenResty setting: Turnpike runs no Lua';
const CACHE = "Kong's database entity cache: Turnpike's data planes hold the whole configuration in memory";
const NEW_DNS = 'read by Kong only with new_dns_client = on; Turnpike resolves with the dns_* keys';
const PG_RO = 'a read-only PostgreSQL replica: Turnpike sends every query to the primary (pg_host / dsn)';
const PG_POOL = "connection pool tuning of Kong's Lua driver: Turnpike's pool is sized by pg_pool_size";
const TLS_TUNING = "TLS tuning of nginx: the proxy uses Node's TLS defaults (OpenSSL's cipher list)";
const WORKERS =
  "how Kong's nginx workers share state: Turnpike's workers each swap in every configuration whole";
const TRACING = 'tracing is not supported yet';
const WASM = 'WebAssembly filters are not supported';
const NO_STREAM = "concerns nginx's stream module: stream proxying here has no such setting";

const ignored = (why: string): KongKeyRule => ({ kind: 'ignored', why });
const refused = (why: string, ...accepts: string[]): KongKeyRule =>
  accepts.length === 0 ? { kind: 'refused', why } : { kind: 'refused', why, accepts };
const alias = (of: ConfigKey): KongKeyRule => ({ kind: 'alias', of });
/** The empty value (Kong's NONE) is the only one that asks for nothing. */
const EMPTY = '';

export const KONG_KEYS: Readonly<Record<string, KongKeyRule>> = {
  // GENERAL
  proxy_stream_access_log: ignored(NO_STREAM),
  proxy_stream_error_log: ignored(NO_STREAM),
  vaults: ignored('vault references ({vault://…}) are refused, so no vault is ever asked'),
  vault_env_prefix: ignored('vault references ({vault://…}) are refused, so no vault is ever asked'),
  opentelemetry_tracing: refused(TRACING, 'off'),
  opentelemetry_tracing_sampling_rate: ignored('only read with tracing on, which is refused'),
  tracing_instrumentations: refused(TRACING, 'off'),
  tracing_sampling_rate: ignored('only read with tracing_instrumentations on, which is refused'),
  dedicated_config_processing: ignored(
    "Turnpike's main process holds the sync stream and applies configuration for its workers",
  ),
  privileged_worker: ignored("Kong's old name for dedicated_config_processing"),
  pluginserver_names: refused('external plugin servers (Go, Python, JavaScript plugins)', EMPTY),
  port_maps: refused('X-Forwarded-Port is the port the client connected to', EMPTY),
  host_ports: refused('X-Forwarded-Port is the port the client connected to', EMPTY),
  anonymous_reports: ignored('Turnpike sends no usage reports'),
  proxy_server: refused('an outbound forward proxy', EMPTY),
  proxy_server_ssl_verify: ignored('only read with proxy_server, which is refused'),
  error_template_html: refused('custom error templates', EMPTY),
  error_template_json: refused('custom error templates', EMPTY),
  error_template_xml: refused('custom error templates', EMPTY),
  error_template_plain: refused('custom error templates', EMPTY),
  kic: ignored("marks a node run by the Kong Ingress Controller, for Kong's usage reports"),

  // HYBRID MODE
  cluster_dp_labels: refused('data plane labels in the cluster status', EMPTY),
  cluster_ocsp: refused('OCSP checks of data plane certificates', 'off'),
  cluster_use_proxy: refused('reaching the control plane through proxy_server', 'off'),
  cluster_rpc: ignored("selects Kong's own sync protocol; Turnpike speaks its gRPC protocol"),
  cluster_rpc_sync: ignored("selects Kong's own sync protocol; Turnpike speaks its gRPC protocol"),
  cluster_cjson: ignored("selects Kong's JSON encoder for sync payloads"),

  // NGINX
  nginx_user: ignored('the user is the one Turnpike runs as (the images run as 65532)'),
  nginx_main_user: ignored('the user is the one Turnpike runs as (the images run as 65532)'),
  nginx_daemon: ignored('Turnpike always runs in the foreground'),
  nginx_main_daemon: ignored('Turnpike always runs in the foreground'),
  nginx_worker_processes: alias('worker_processes'),
  nginx_main_worker_processes: alias('worker_processes'),
  nginx_main_worker_rlimit_nofile: ignored(NGINX),
  nginx_events_worker_connections: ignored(NGINX),
  nginx_events_multi_accept: ignored(NGINX),
  nginx_http_charset: ignored(NGINX),
  nginx_http_client_max_body_size: alias('client_max_body_size'),
  nginx_http_client_body_buffer_size: alias('client_body_buffer_size'),
  nginx_http_client_header_buffer_size: refused(
    'nginx header buffers: Turnpike limits headers with client_header_max_size',
    '1k',
  ),
  nginx_http_large_client_header_buffers: refused(
    'nginx header buffers: Turnpike limits headers with client_header_max_size',
    '4 8k',
  ),
  nginx_http_keepalive_requests: ignored(NGINX),
  nginx_http_lua_regex_match_limit: ignored(LUA),
  nginx_http_lua_regex_cache_max_entries: ignored(LUA),
  nginx_admin_client_max_body_size: refused("the Admin API's body limit is 10m, Kong's default", '10m'),
  nginx_admin_client_body_buffer_size: ignored(NGINX),
  nginx_proxy_real_ip_header: alias('real_ip_header'),
  nginx_proxy_real_ip_recursive: alias('real_ip_recursive'),
  nginx_http_ssl_protocols: refused('TLS protocols other than TLSv1.2 and TLSv1.3', EMPTY, 'TLSv1.2 TLSv1.3'),
  nginx_http_ssl_prefer_server_ciphers: ignored(TLS_TUNING),
  nginx_http_ssl_dhparam: ignored(TLS_TUNING),
  nginx_http_ssl_session_tickets: ignored(TLS_TUNING),
  nginx_http_ssl_session_timeout: ignored(TLS_TUNING),
  nginx_http_ssl_conf_command: ignored(TLS_TUNING),
  nginx_http_proxy_ssl_conf_command: ignored(TLS_TUNING),
  nginx_http_lua_ssl_conf_command: ignored(LUA),
  nginx_http_grpc_ssl_conf_command: ignored(TLS_TUNING),
  nginx_stream_ssl_protocols: ignored(NO_STREAM),
  nginx_stream_ssl_prefer_server_ciphers: ignored(NO_STREAM),
  nginx_stream_ssl_dhparam: ignored(NO_STREAM),
  nginx_stream_ssl_session_tickets: ignored(NO_STREAM),
  nginx_stream_ssl_session_timeout: ignored(NO_STREAM),
  nginx_stream_ssl_conf_command: ignored(NO_STREAM),
  nginx_stream_proxy_ssl_conf_command: ignored(NO_STREAM),
  nginx_stream_lua_ssl_conf_command: ignored(NO_STREAM),

  // TLS
  lmdb_environment_path: ignored('where Kong keeps a DB-less configuration; Turnpike keeps it in memory'),
  lmdb_map_size: ignored('where Kong keeps a DB-less configuration; Turnpike keeps it in memory'),
  worker_events_max_payload: ignored(WORKERS),
  ssl_cipher_suite: ignored(TLS_TUNING),
  ssl_ciphers: ignored(TLS_TUNING),
  ssl_protocols: refused('TLS protocols other than TLSv1.2 and TLSv1.3', 'TLSv1.2 TLSv1.3'),
  ssl_prefer_server_ciphers: ignored(TLS_TUNING),
  ssl_dhparam: ignored(TLS_TUNING),
  ssl_session_tickets: ignored(TLS_TUNING),
  ssl_session_timeout: ignored(TLS_TUNING),
  ssl_session_cache_size: ignored(TLS_TUNING),
  client_ssl: refused('a client certificate presented to every upstream', 'off'),
  client_ssl_cert: refused('a client certificate presented to every upstream', EMPTY),
  client_ssl_cert_key: refused('a client certificate presented to every upstream', EMPTY),
  status_ssl_cert: refused('TLS on the status listener', EMPTY),
  status_ssl_cert_key: refused('TLS on the status listener', EMPTY),
  debug_ssl_cert: ignored("certificates of Kong's debug listener, which Turnpike does not have"),
  debug_ssl_cert_key: ignored("certificates of Kong's debug listener, which Turnpike does not have"),

  // PROXY
  allow_debug_header: refused('the Kong-Debug response headers', 'off'),

  // DATASTORE
  pg_semaphore_timeout: ignored(PG_POOL),
  pg_keepalive_timeout: ignored(PG_POOL),
  pg_backlog: ignored(PG_POOL),
  _debug_pg_ttl_cleanup_interval: ignored('a Kong test setting'),
  pg_ro_host: ignored(PG_RO),
  pg_ro_port: ignored(PG_RO),
  pg_ro_database: ignored(PG_RO),
  pg_ro_schema: ignored(PG_RO),
  pg_ro_timeout: ignored(PG_RO),
  pg_ro_user: ignored(PG_RO),
  pg_ro_password: ignored(PG_RO),
  pg_ro_ssl: ignored(PG_RO),
  pg_ro_ssl_verify: ignored(PG_RO),
  pg_ro_max_concurrent_queries: ignored(PG_RO),
  pg_ro_semaphore_timeout: ignored(PG_RO),
  pg_ro_keepalive_timeout: ignored(PG_RO),
  pg_ro_pool_size: ignored(PG_RO),
  pg_ro_backlog: ignored(PG_RO),
  db_update_propagation: ignored('a delay for eventually consistent databases (Cassandra)'),
  db_cache_ttl: ignored(CACHE),
  db_cache_neg_ttl: ignored(CACHE),
  db_resurrect_ttl: ignored(CACHE),
  db_cache_warmup_entities: ignored(CACHE),

  // DNS RESOLVER
  dns_cache_size: ignored("the size of Kong's DNS cache, an LRU of Lua tables"),
  dns_no_sync: ignored("how Kong's Lua DNS client shares queries between coroutines"),
  new_dns_client: refused(
    "Kong's new DNS client (the resolver_* keys): Turnpike resolves with the dns_* keys",
    'off',
  ),
  resolver_address: ignored(NEW_DNS),
  resolver_hosts_file: ignored(NEW_DNS),
  resolver_family: ignored(NEW_DNS),
  resolver_valid_ttl: ignored(NEW_DNS),
  resolver_stale_ttl: ignored(NEW_DNS),
  resolver_error_ttl: ignored(NEW_DNS),
  resolver_lru_cache_size: ignored(NEW_DNS),
  resolver_mem_cache_size: ignored(NEW_DNS),

  // TUNING & BEHAVIOR
  worker_consistency: ignored(WORKERS),
  router_consistency: ignored(WORKERS),
  worker_state_update_frequency: ignored(WORKERS),

  // MISCELLANEOUS
  lua_max_req_headers: ignored(LUA),
  lua_max_resp_headers: ignored(LUA),
  lua_max_uri_args: ignored(LUA),
  lua_max_post_args: ignored(LUA),
  lua_ssl_trusted_certificate: refused(
    'a CA bundle other than the system one for TLS connections Turnpike makes (use ca_certificates on services)',
    'system',
  ),
  lua_ssl_verify_depth: refused('a default upstream verification depth other than 1', '1'),
  lua_ssl_protocols: refused('TLS protocols other than TLSv1.2 and TLSv1.3 to upstreams', 'TLSv1.2 TLSv1.3'),
  lua_package_path: ignored(LUA),
  lua_package_cpath: ignored(LUA),
  lua_socket_pool_size: ignored(LUA),
  untrusted_lua: ignored(LUA),
  untrusted_lua_sandbox_requires: ignored(LUA),
  untrusted_lua_sandbox_environment: ignored(LUA),
  openresty_path: ignored(LUA),

  // KONG MANAGER
  admin_gui_access_log: ignored(
    'Turnpike writes no access or error log files yet: its log is pino JSON on stdout',
  ),
  admin_gui_error_log: ignored(
    'Turnpike writes no access or error log files yet: its log is pino JSON on stdout',
  ),

  // WASM
  wasm: refused(WASM, 'off'),
  wasm_filters_path: ignored('only read with wasm on, which is refused'),
  wasm_dynamic_module: ignored('only read with wasm on, which is refused'),
  wasm_filters: ignored('only read with wasm on, which is refused'),

  // REQUEST DEBUGGING
  request_debug: ignored('Turnpike does not answer X-Kong-Request-Debug: no timing headers are added'),
  request_debug_token: ignored('Turnpike does not answer X-Kong-Request-Debug: no timing headers are added'),
};

/**
 * Kong's dynamic key namespaces (kong/conf_loader/constants.lua DYNAMIC_KEY_NAMESPACES): any key
 * with one of these prefixes is a Kong key, as nginx directives injected into nginx.conf.
 */
export const PREFIX_RULES: readonly { readonly prefix: string; readonly rule: KongKeyRule }[] = [
  { prefix: 'nginx_', rule: ignored('an nginx directive injected into nginx.conf: Turnpike is not nginx') },
  {
    prefix: 'vault_',
    rule: ignored('vault references ({vault://…}) are refused, so no vault is ever asked'),
  },
  { prefix: 'pluginserver_', rule: refused('external plugin servers (Go, Python, JavaScript plugins)') },
];

/** The rule for a Kong key Turnpike does not have under that name; undefined if Kong has no such key. */
export function kongKeyRule(name: string): KongKeyRule | undefined {
  if (Object.hasOwn(KONG_KEYS, name)) return KONG_KEYS[name];
  return PREFIX_RULES.find((p) => name.startsWith(p.prefix))?.rule;
}

/** Whether a refused key's value is one it accepts: compared without case and with blanks squeezed. */
export function isAcceptedValue(rule: KongKeyRule & { kind: 'refused' }, value: string): boolean {
  const normal = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();
  return rule.accepts?.some((accepted) => normal(accepted) === normal(value)) ?? false;
}
