export { buildConfig, type ConfigInputs, type LoadedConfig } from './build.ts';
export { type ConfLine, type ParsedConfText, parseConfText } from './conf-text.ts';
export { type DatastoreTarget, decideDatastore, type PostgresSsl, resolveDatastore } from './datastore.ts';
export { type DsnTarget, parseDsn } from './dsn.ts';
export { ENV_PREFIX, type Env, envFileName, envName, KONG_ENV_PREFIX } from './env.ts';
export { ListenEntrySchema } from './keys.ts';
export { KONG_KEYS, type KongKeyRule, kongKeyRule, PREFIX_RULES } from './kong-keys.ts';
export { formatListenAddress, parseListen } from './listen.ts';
export { DEFAULT_CONFIG_PATHS, type LoadConfigOptions, loadConfig } from './load.ts';
export { toPinoLevel } from './log-level.ts';
export { REDACTED, type RedactedConfig, redactConfig } from './redact.ts';
export {
  CONFIG_KEYS,
  type ConfigKey,
  type ConfigKeyInfo,
  type ConfigSources,
  isConfigKey,
  type KongLogLevel,
  type ListenEntry,
  LOG_LEVELS,
  SECRET_CONFIG_KEYS,
  type TurnpikeConfig,
  TurnpikeConfigSchema,
} from './schema.ts';
export { renderConfTemplate } from './template.ts';
export { CSP_HOST_VARIABLE, type HostPort, isLoopback, parseHostPort, parseSize } from './values.ts';
export { type ConfigWarning, formatWarning } from './warnings.ts';
