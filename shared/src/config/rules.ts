import type { ConfigProblem } from '../errors.ts';
import type { IgnoredSetting } from './env.ts';
import { refusal } from './key-names.ts';
import { formatListenAddress } from './listen.ts';
import type { ConfigKey, ConfigSources, TurnpikeConfig } from './schema.ts';
import { isLoopback } from './values.ts';

/**
 * Rules that involve more than one key (Kong's check_and_parse in kong/conf_loader/parse.lua,
 * plus Turnpike's admin_token rule). The datastore rules live in datastore.ts.
 */
export function crossKeyProblems(config: TurnpikeConfig, sources: ConfigSources): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: ConfigKey, source: string, message: string) => problems.push({ key, source, message });
  const role = `role = ${config.role} (from ${sources.role})`;

  if (config.role !== 'traditional' && config.cluster_mtls !== 'off') {
    for (const key of ['cluster_cert', 'cluster_cert_key'] as const) {
      if (config[key] === undefined) {
        add(
          key,
          sources.role,
          `required when ${role}: hybrid mode needs the cluster certificate and key (turnpike hybrid gen_cert makes them), unless cluster_mtls = off`,
        );
      }
    }
    if (config.cluster_mtls.startsWith('pki') && config.cluster_ca_cert === undefined) {
      add('cluster_ca_cert', sources.cluster_mtls, `required when cluster_mtls = ${config.cluster_mtls}`);
    }
  }

  if (config.cluster_allowed_common_names.length > 0) {
    // Only a control plane checks data plane certificates, and only pki mode by their CN.
    if (config.role !== 'control_plane') {
      add(
        'cluster_allowed_common_names',
        sources.cluster_allowed_common_names,
        `only used when role = control_plane (${role}): a control plane admits data planes by their certificate's CN`,
      );
    } else if (!config.cluster_mtls.startsWith('pki')) {
      add(
        'cluster_allowed_common_names',
        sources.cluster_allowed_common_names,
        `only used when cluster_mtls = pki or pki_check_cn (cluster_mtls = ${config.cluster_mtls}, from ${sources.cluster_mtls})`,
      );
    }
  }

  if (config.role === 'control_plane') {
    if (config.admin_listen.length === 0)
      add('admin_listen', sources.admin_listen, `must not be off when ${role}`);
    if (config.cluster_listen.length === 0) {
      add('cluster_listen', sources.cluster_listen, `must not be off when ${role}`);
    }
    if (config.database === 'off') {
      add('database', sources.database, `must not be off when ${role}: the control plane owns the datastore`);
    }
  }

  if (config.role === 'data_plane' && config.proxy_listen.length === 0) {
    add('proxy_listen', sources.proxy_listen, `must not be off when ${role}`);
  }

  if (config.admin_auth && config.admin_token === undefined) {
    const exposed = config.admin_listen.find((entry) => !isLoopback(entry.host));
    if (exposed !== undefined) {
      add(
        'admin_token',
        sources.admin_listen,
        `required because admin_listen binds ${formatListenAddress(exposed)}, which is not a loopback address: set admin_token, or set admin_auth = off to accept unauthenticated Admin API requests`,
      );
    }
  }

  checkCertPairs(config, sources, 'ssl_cert', 'ssl_cert_key', add);
  checkCertPairs(config, sources, 'admin_ssl_cert', 'admin_ssl_cert_key', add);
  checkCertPairs(config, sources, 'admin_gui_ssl_cert', 'admin_gui_ssl_cert_key', add);
  problems.push(...unsupportedValueProblems(config, sources));
  return problems;
}

/**
 * Values Kong accepts and Turnpike parses but does not act on yet: refused rather than ignored,
 * since each would change what a client or an operator sees.
 */
function unsupportedValueProblems(config: TurnpikeConfig, sources: ConfigSources): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const refuse = (key: ConfigKey, why: string) =>
    problems.push({ key, source: sources[key], message: refusal(why) });
  for (const key of ['proxy_listen', 'admin_listen', 'status_listen', 'cluster_listen'] as const) {
    if (config[key].some((entry) => entry.proxyProtocol)) refuse(key, 'the proxy_protocol flag');
  }
  // Kong's listeners.lua knows `udp` for stream_listen only; nginx takes neither TLS nor a PROXY
  // header on a UDP listener.
  for (const key of [
    'proxy_listen',
    'admin_listen',
    'status_listen',
    'cluster_listen',
    'admin_gui_listen',
  ] as const) {
    if (config[key].some((entry) => entry.udp === true))
      refuse(key, 'the udp flag (stream_listen takes it, for udp routes)');
  }
  if (config.stream_listen.some((entry) => entry.udp === true && entry.ssl))
    refuse('stream_listen', 'the udp flag with ssl (DTLS)');
  if (config.stream_listen.some((entry) => entry.udp === true && entry.proxyProtocol))
    refuse('stream_listen', 'the udp flag with proxy_protocol');
  if (config.stream_listen.some((entry) => entry.http2))
    refuse('stream_listen', 'the http2 flag (a stream listener carries bytes, not HTTP)');
  if (config.status_listen.some((entry) => entry.ssl))
    refuse('status_listen', 'the ssl flag (TLS on /status)');
  if (config.status_listen.length > 1) refuse('status_listen', 'more than one status listener');
  if (config.router_flavor === 'expressions') {
    refuse('router_flavor', "the expressions router (routes' expression and priority fields)");
  }
  if (config.dns_order.includes('SRV')) {
    refuse('dns_order', 'SRV records (a target port and weight from DNS): leave SRV out, e.g. LAST,A,CNAME');
  }
  return problems;
}

/** Kong pairs certificates with keys by position: both lists must have the same length. */
function checkCertPairs(
  config: TurnpikeConfig,
  sources: ConfigSources,
  certKey: 'ssl_cert' | 'admin_ssl_cert' | 'admin_gui_ssl_cert',
  keyKey: 'ssl_cert_key' | 'admin_ssl_cert_key' | 'admin_gui_ssl_cert_key',
  add: (key: ConfigKey, source: string, message: string) => void,
): void {
  const certs = config[certKey].length;
  const keys = config[keyKey].length;
  if (certs > 0 && keys === 0) add(keyKey, sources[certKey], `must be specified when ${certKey} is`);
  else if (keys > 0 && certs === 0) add(certKey, sources[keyKey], `must be specified when ${keyKey} is`);
  else if (certs !== keys) {
    add(
      keyKey,
      sources[keyKey],
      `${certKey} was specified ${certs} times while ${keyKey} was specified ${keys} times`,
    );
  }
}

/** Settings valid on their own that another key makes inert: listed in the ignored-keys warning. */
export function crossKeyIgnored(config: TurnpikeConfig, sources: ConfigSources): IgnoredSetting[] {
  const ignored: IgnoredSetting[] = [];
  if (config.admin_gui_csp_header_value !== undefined && !config.admin_gui_csp_header)
    ignored.push({
      key: 'admin_gui_csp_header_value',
      source: sources.admin_gui_csp_header_value,
      why: `admin_gui_csp_header is off (from ${sources.admin_gui_csp_header}): the Admin GUI sends no Content-Security-Policy header`,
    });
  return ignored;
}
