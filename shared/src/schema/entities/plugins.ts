/**
 * Kong's plugins entity. `config` is abstract: the plugin's own schema (found by `name`)
 * replaces it, and may also narrow consumer/route/service/protocols.
 */
import * as t from '../typedefs.ts';
import type { EntityDefinition } from '../types.ts';

export const plugins = {
  name: 'plugins',
  endpoint: '/plugins',
  primary_key: ['id'],
  endpoint_key: 'instance_name',
  cache_key: ['name', 'route', 'service', 'consumer'],
  subschema_key: 'name',
  subschema_error: "plugin '%s' not enabled; add it to the 'plugins' configuration property",
  fields: {
    id: t.uuid(),
    name: { type: 'string', required: true, indexed: true },
    instance_name: t.name({ indexed: true }),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    route: { type: 'foreign', reference: 'routes', default: null, on_delete: 'cascade' },
    service: { type: 'foreign', reference: 'services', default: null, on_delete: 'cascade' },
    consumer: { type: 'foreign', reference: 'consumers', default: null, on_delete: 'cascade' },
    config: { type: 'record', abstract: true, fields: {} },
    protocols: t.protocols(),
    enabled: { type: 'boolean', required: true, default: true },
    tags: t.tags(),
  },
} as const satisfies EntityDefinition;
