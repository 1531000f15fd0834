import type { Migration } from './types.ts';

const NIL_UUID = "'00000000-0000-0000-0000-000000000000'::uuid";

/**
 * One table per entity. `entity` holds the whole stored entity and is what reads return;
 * the other columns exist for constraints, lookups and pagination (ORDER BY id, as Kong's
 * PostgreSQL strategy pages). Constraint names are the ones dao/model.ts derives, so the DAO
 * can turn a 23505 / 23503 into Kong's error naming the field. Written out, not generated
 * from the schemas: a migration must not change when a schema file does.
 */
function entityTable(name: string, columns: string): string {
  const extra = columns.trim().replace(/,$/, '');
  return `
    CREATE TABLE IF NOT EXISTS ${name} (
      id         uuid        PRIMARY KEY,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      tags       text[],
      ${extra}${extra === '' ? '' : ','}
      entity     jsonb       NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${name}_tags_idx ON ${name} USING gin (tags);`;
}

function fk(table: string, column: string, parent: string, onDelete: 'CASCADE' | 'RESTRICT'): string {
  return `${column} uuid CONSTRAINT ${table}_${column}_fkey REFERENCES ${parent} (id) ON DELETE ${onDelete}`;
}

function fkIndex(table: string, column: string): string {
  return `CREATE INDEX IF NOT EXISTS ${table}_${column}_idx ON ${table} (${column});`;
}

export const migration: Migration = {
  name: '001_entities',
  up: /* sql */ `
    ${entityTable('certificates', '')}

    ${entityTable('ca_certificates', 'cert_digest text CONSTRAINT ca_certificates_cert_digest_key UNIQUE,')}

    ${entityTable(
      'snis',
      `name text NOT NULL CONSTRAINT snis_name_key UNIQUE,
      ${fk('snis', 'certificate_id', 'certificates', 'CASCADE')},`,
    )}
    ${fkIndex('snis', 'certificate_id')}

    ${entityTable(
      'services',
      `name text CONSTRAINT services_name_key UNIQUE,
      ${fk('services', 'client_certificate_id', 'certificates', 'RESTRICT')},`,
    )}
    ${fkIndex('services', 'client_certificate_id')}

    ${entityTable(
      'routes',
      `name text CONSTRAINT routes_name_key UNIQUE,
      ${fk('routes', 'service_id', 'services', 'RESTRICT')},`,
    )}
    ${fkIndex('routes', 'service_id')}

    ${entityTable(
      'consumers',
      `username  text CONSTRAINT consumers_username_key UNIQUE,
      custom_id text CONSTRAINT consumers_custom_id_key UNIQUE,`,
    )}

    ${entityTable(
      'upstreams',
      `name text NOT NULL CONSTRAINT upstreams_name_key UNIQUE,
      ${fk('upstreams', 'client_certificate_id', 'certificates', 'RESTRICT')},`,
    )}
    ${fkIndex('upstreams', 'client_certificate_id')}

    ${entityTable(
      'targets',
      `${fk('targets', 'upstream_id', 'upstreams', 'CASCADE')} NOT NULL,
      target text NOT NULL,
      CONSTRAINT targets_cache_key UNIQUE (upstream_id, target),`,
    )}

    ${entityTable(
      'plugins',
      `name          text NOT NULL,
      instance_name text CONSTRAINT plugins_instance_name_key UNIQUE,
      ${fk('plugins', 'route_id', 'routes', 'CASCADE')},
      ${fk('plugins', 'service_id', 'services', 'CASCADE')},
      ${fk('plugins', 'consumer_id', 'consumers', 'CASCADE')},`,
    )}
    ${fkIndex('plugins', 'route_id')}
    ${fkIndex('plugins', 'service_id')}
    ${fkIndex('plugins', 'consumer_id')}
    -- One plugin of a name per (route, service, consumer), a missing scope counting as one value.
    CREATE UNIQUE INDEX IF NOT EXISTS plugins_cache_key ON plugins (
      name,
      COALESCE(route_id, ${NIL_UUID}),
      COALESCE(service_id, ${NIL_UUID}),
      COALESCE(consumer_id, ${NIL_UUID})
    );

    ${entityTable(
      'keyauth_credentials',
      `${fk('keyauth_credentials', 'consumer_id', 'consumers', 'CASCADE')} NOT NULL,
      key text NOT NULL CONSTRAINT keyauth_credentials_key_key UNIQUE,`,
    )}
    ${fkIndex('keyauth_credentials', 'consumer_id')}

    ${entityTable(
      'basicauth_credentials',
      `${fk('basicauth_credentials', 'consumer_id', 'consumers', 'CASCADE')} NOT NULL,
      username text NOT NULL CONSTRAINT basicauth_credentials_username_key UNIQUE,`,
    )}
    ${fkIndex('basicauth_credentials', 'consumer_id')}

    ${entityTable(
      'jwt_secrets',
      `${fk('jwt_secrets', 'consumer_id', 'consumers', 'CASCADE')} NOT NULL,
      key text NOT NULL CONSTRAINT jwt_secrets_key_key UNIQUE,`,
    )}
    ${fkIndex('jwt_secrets', 'consumer_id')}

    ${entityTable(
      'acls',
      `${fk('acls', 'consumer_id', 'consumers', 'CASCADE')} NOT NULL,
      "group" text NOT NULL,
      CONSTRAINT acls_cache_key UNIQUE (consumer_id, "group"),`,
    )}
  `,
};
