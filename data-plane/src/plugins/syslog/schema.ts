/** syslog's configuration (Kong 3.10 kong/plugins/syslog/schema.lua). */
import { configRecord, definePluginSchema, type PluginConfigOf, typedefs } from '@turnpike/plugin-sdk';

export const SEVERITIES = ['debug', 'info', 'notice', 'warning', 'err', 'crit', 'alert', 'emerg'] as const;
export const FACILITIES = [
  'auth',
  'authpriv',
  'cron',
  'daemon',
  'ftp',
  'kern',
  'lpr',
  'mail',
  'news',
  'syslog',
  'user',
  'uucp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

const severity = { type: 'string', default: 'info', required: true, one_of: SEVERITIES } as const;

export const schema = definePluginSchema({
  name: 'syslog',
  fields: {
    protocols: typedefs.protocols(),
    config: configRecord({
      log_level: severity,
      successful_severity: severity,
      client_errors_severity: severity,
      server_errors_severity: severity,
      custom_fields_by_lua: typedefs.luaCode(),
      facility: {
        type: 'string',
        default: 'user',
        required: true,
        one_of: FACILITIES,
        description: 'The facility is used by the operating system to decide how to handle each log message.',
      },
    }),
  },
});

export type SyslogConfig = PluginConfigOf<typeof schema>;
