/**
 * Kong's entities as data: definitions, derived types, validation, form coercion and the
 * schema documents. Import from `@turnpike/shared/schema`.
 */
import type { FieldErrors } from '../errors.ts';
import { SchemaViolationError } from '../errors.ts';
import { ENTITIES } from './entities/index.ts';
import type { EntityDefinition, EntityName, EntityOf, Lenient } from './types.ts';
import { type ValidateEntityOptions, type ValidationResult, validateEntity as validate } from './validate.ts';

export { certDigest } from './entities/ca-certificates.ts';
export { ENTITIES } from './entities/index.ts';
export { JWT_ALGORITHMS } from './entities/jwt-secrets.ts';
export { hashClientSecret } from './entities/oauth2.ts';
export { DEFAULT_TARGET_PORT, formatTarget } from './entities/targets.ts';
export { HEALTHCHECKS_DEFAULTS } from './entities/upstreams.ts';
export { BUNDLED_VAULTS } from './entities/vaults.ts';
export { validateField } from './field.ts';
export { coerceFormInput, type FlatForm } from './form.ts';
export {
  entityJsonSchema,
  type JsonSchema,
  kongSchemaDocument,
  pluginSchemaDocument,
} from './json-schema.ts';
export { MSG as SCHEMA_MESSAGES } from './messages.ts';
export { checkPluginSchema } from './metaschema.ts';
export {
  configRecord,
  definePluginSchema,
  noConsumer,
  noRoute,
  noService,
  type PluginConfigOf,
  type PluginSchema,
  type PluginSchemaLookup,
} from './plugin-schema.ts';
export {
  isReference,
  type ParsedReference,
  type ParseReferenceResult,
  parseReference,
} from './reference.ts';
export { compileRoutePathRegex, translatePcre } from './regex.ts';
export * as typedefs from './typedefs.ts';
export type * from './types.ts';
export type { ValidateEntityOptions, ValidationResult } from './validate.ts';

type Entities = typeof ENTITIES;
export type Service = EntityOf<Entities['services']>;
export type Route = EntityOf<Entities['routes']>;
export type Consumer = EntityOf<Entities['consumers']>;
export type Plugin = EntityOf<Entities['plugins']> & { config: Record<string, unknown> };
export type Upstream = EntityOf<Entities['upstreams']>;
export type Target = EntityOf<Entities['targets']>;
export type Certificate = EntityOf<Entities['certificates']>;
export type Sni = EntityOf<Entities['snis']>;
export type CaCertificate = EntityOf<Entities['ca_certificates']>;
export type KeyauthCredential = EntityOf<Entities['keyauth_credentials']>;
export type BasicauthCredential = EntityOf<Entities['basicauth_credentials']>;
export type JwtSecret = EntityOf<Entities['jwt_secrets']>;
export type HmacauthCredential = EntityOf<Entities['hmacauth_credentials']>;
export type Oauth2Credential = EntityOf<Entities['oauth2_credentials']>;
export type Oauth2Token = EntityOf<Entities['oauth2_tokens']>;
export type Acl = EntityOf<Entities['acls']>;
export type Vault = EntityOf<Entities['vaults']> & { config: Record<string, unknown> };

export interface EntityTypes {
  services: Service;
  routes: Route;
  consumers: Consumer;
  plugins: Plugin;
  upstreams: Upstream;
  targets: Target;
  certificates: Certificate;
  snis: Sni;
  ca_certificates: CaCertificate;
  keyauth_credentials: KeyauthCredential;
  basicauth_credentials: BasicauthCredential;
  jwt_secrets: JwtSecret;
  hmacauth_credentials: HmacauthCredential;
  oauth2_credentials: Oauth2Credential;
  oauth2_tokens: Oauth2Token;
  acls: Acl;
  vaults: Vault;
}

type FieldsOf<N extends EntityName> = Entities[N]['fields'];

/** `id` and the fields the schema requires: a synced entity always carries them. */
type KeptKeys<N extends EntityName> =
  | 'id'
  | {
      [K in keyof FieldsOf<N>]: FieldsOf<N>[K] extends { readonly required: true } ? K : never;
    }[keyof FieldsOf<N>];

/**
 * An entity as another process reads it (the data plane, from the sync stream or its cache
 * file): `id` and the required fields are present; any other field may be absent or null, and
 * records may lack fields at any depth — the reader applies the schema's defaults.
 */
export type SyncedEntity<N extends EntityName> = {
  readonly [K in keyof EntityTypes[N] & KeptKeys<N>]: Lenient<EntityTypes[N][K]>;
} & {
  readonly [K in Exclude<keyof EntityTypes[N], KeptKeys<N>>]?: Lenient<EntityTypes[N][K]> | null;
};

export function isEntityName(name: string): name is EntityName {
  return Object.hasOwn(ENTITIES, name);
}

/**
 * Validates an entity input by table name: `{ ok: true, value }` with defaults and generated
 * values filled (insert/upsert), or `{ ok: false, fields }` in Kong's error shape.
 */
export function validateEntity<N extends EntityName>(
  entity: N,
  input: unknown,
  options: ValidateEntityOptions,
): ValidationResult<EntityTypes[N]> {
  return validate<EntityTypes[N]>(ENTITIES[entity] as EntityDefinition, input, options);
}

/** Like validateEntity, but throws SchemaViolationError (Kong code 2) on failure. */
export function assertEntity<N extends EntityName>(
  entity: N,
  input: unknown,
  options: ValidateEntityOptions,
): EntityTypes[N] {
  const result = validateEntity(entity, input, options);
  if (!result.ok) throw new SchemaViolationError(result.fields);
  return result.value;
}

export type { FieldErrors };
