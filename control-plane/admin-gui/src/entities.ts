/**
 * The entities the GUI manages: where each lives in the Admin API, which schema draws its form,
 * what its list shows, and the entities nested under it (a consumer's credentials, an
 * upstream's targets, a certificate's SNIs, a service's routes).
 */
import type { Row } from './api/types.ts';

export interface Column {
  readonly field: string;
  readonly title: string;
}

export interface ChildKind {
  readonly key: string;
  readonly title: string;
  /** The nested collection under the parent: `/consumers/{id}/key-auth`. */
  readonly segment: string;
  /** `GET /schemas/{schema}`. */
  readonly schema: string;
  /** The foreign key to the parent, set by the nested path (not shown in the form). */
  readonly parentField: string;
  readonly columns: readonly Column[];
  /** Where a child has a page of its own (routes do). */
  readonly kind?: string;
}

export interface EntityKind {
  readonly key: string;
  readonly title: string;
  readonly singular: string;
  /** `/services`. */
  readonly path: string;
  readonly schema: string;
  readonly columns: readonly Column[];
  /** The field the name search matches (the endpoint key). */
  readonly nameField: string | undefined;
  readonly children: readonly ChildKind[];
}

const c = (field: string, title = field.replaceAll('_', ' ')): Column => ({ field, title });

export const KINDS: readonly EntityKind[] = [
  {
    key: 'services',
    title: 'Services',
    singular: 'service',
    path: '/services',
    schema: 'services',
    columns: [c('name'), c('protocol'), c('host'), c('port'), c('path'), c('tags')],
    nameField: 'name',
    children: [
      {
        key: 'routes',
        title: 'Routes',
        segment: 'routes',
        schema: 'routes',
        parentField: 'service',
        kind: 'routes',
        columns: [c('name'), c('paths'), c('hosts'), c('methods')],
      },
    ],
  },
  {
    key: 'routes',
    title: 'Routes',
    singular: 'route',
    path: '/routes',
    schema: 'routes',
    columns: [c('name'), c('protocols'), c('hosts'), c('paths'), c('service'), c('tags')],
    nameField: 'name',
    children: [],
  },
  {
    key: 'consumers',
    title: 'Consumers',
    singular: 'consumer',
    path: '/consumers',
    schema: 'consumers',
    columns: [c('username'), c('custom_id'), c('tags')],
    nameField: 'username',
    children: [
      {
        key: 'key-auth',
        title: 'Key-auth credentials',
        segment: 'key-auth',
        schema: 'keyauth_credentials',
        parentField: 'consumer',
        columns: [c('key'), c('ttl'), c('tags')],
      },
      {
        key: 'basic-auth',
        title: 'Basic-auth credentials',
        segment: 'basic-auth',
        schema: 'basicauth_credentials',
        parentField: 'consumer',
        columns: [c('username'), c('tags')],
      },
      {
        key: 'jwt',
        title: 'JWT credentials',
        segment: 'jwt',
        schema: 'jwt_secrets',
        parentField: 'consumer',
        columns: [c('key'), c('algorithm'), c('tags')],
      },
      {
        key: 'hmac-auth',
        title: 'HMAC credentials',
        segment: 'hmac-auth',
        schema: 'hmacauth_credentials',
        parentField: 'consumer',
        columns: [c('username'), c('tags')],
      },
      {
        key: 'oauth2',
        title: 'OAuth 2.0 applications',
        segment: 'oauth2',
        schema: 'oauth2_credentials',
        parentField: 'consumer',
        columns: [c('name'), c('client_id'), c('client_type'), c('redirect_uris'), c('tags')],
      },
      {
        key: 'acls',
        title: 'ACL groups',
        segment: 'acls',
        schema: 'acls',
        parentField: 'consumer',
        columns: [c('group'), c('tags')],
      },
    ],
  },
  {
    key: 'plugins',
    title: 'Plugins',
    singular: 'plugin',
    path: '/plugins',
    schema: 'plugins',
    columns: [c('name'), c('service'), c('route'), c('consumer'), c('enabled'), c('tags')],
    nameField: 'name',
    children: [],
  },
  {
    key: 'upstreams',
    title: 'Upstreams',
    singular: 'upstream',
    path: '/upstreams',
    schema: 'upstreams',
    columns: [c('name'), c('algorithm'), c('slots'), c('tags')],
    nameField: 'name',
    children: [
      {
        key: 'targets',
        title: 'Targets',
        segment: 'targets',
        schema: 'targets',
        parentField: 'upstream',
        columns: [c('target'), c('weight'), c('tags')],
      },
    ],
  },
  {
    key: 'certificates',
    title: 'Certificates',
    singular: 'certificate',
    path: '/certificates',
    schema: 'certificates',
    columns: [c('id'), c('snis', 'SNIs'), c('tags')],
    nameField: undefined,
    children: [
      {
        key: 'snis',
        title: 'SNIs',
        segment: 'snis',
        schema: 'snis',
        parentField: 'certificate',
        columns: [c('name'), c('tags')],
      },
    ],
  },
  {
    key: 'ca_certificates',
    title: 'CA certificates',
    singular: 'CA certificate',
    path: '/ca_certificates',
    schema: 'ca_certificates',
    columns: [c('id'), c('cert_digest', 'digest'), c('tags')],
    nameField: undefined,
    children: [],
  },
];

export function kindOf(key: string): EntityKind | undefined {
  return KINDS.find((k) => k.key === key);
}

/** A cell's text: references by id, lists joined. */
export function cellText(row: Row, field: string): string {
  const value = row[field];
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object') {
    const id = (value as { id?: unknown }).id;
    return typeof id === 'string' ? id.slice(0, 8) : JSON.stringify(value);
  }
  return String(value);
}

/** What a row is called in lists and selects: its name-like field, else its id. */
export function rowLabel(row: Row): string {
  for (const field of ['name', 'username', 'custom_id', 'target', 'key', 'group']) {
    const v = row[field];
    if (typeof v === 'string' && v !== '') return v;
  }
  return row.id;
}
