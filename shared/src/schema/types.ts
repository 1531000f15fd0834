/**
 * Field descriptors: Kong's schema language (kong/db/schema) as plain data.
 *
 * Attribute names follow Kong's (`one_of`, `custom_validator`, `on_delete`…) so that a
 * descriptor serialises straight into the body of `GET /schemas/{entity}`.
 * Patterns are JS RegExps where Kong uses Lua patterns.
 */

/** Returns an error message, or undefined when the value is valid. */
export type CustomValidator = (value: never) => string | undefined;

export interface PatternRule {
  readonly pattern: RegExp;
  readonly err: string;
}

interface FieldBase {
  readonly description?: string;
  readonly required?: boolean;
  readonly default?: unknown;
  /** Generated when absent: a UUID (uuid), a timestamp (timestamp) or a random string. */
  readonly auto?: boolean;
  readonly unique?: boolean;
  readonly indexed?: boolean;
  readonly immutable?: boolean;
  /** `eq: null` forbids any value ("value must be null", or `err`). */
  readonly eq?: unknown;
  readonly ne?: unknown;
  /** Replaces the message of any failing validator of this field, as Kong's `err`. */
  readonly err?: string;
  readonly one_of?: readonly (string | number)[];
  readonly not_one_of?: readonly (string | number)[];
  readonly custom_validator?: CustomValidator;
  /** How the store keeps the value at rest: encrypted (reversible) or hashed (one-way). */
  readonly sensitive?: 'encrypt' | 'hash';
  /** Accepted on input and validated, but not a stored column (certificates.snis). */
  readonly virtual?: boolean;
}

export interface StringField extends FieldBase {
  readonly type: 'string';
  /**
   * May hold a vault reference (`{vault://env/NAME}`) instead of its value: a reference is then
   * not validated, and the data plane resolves it when it applies a configuration.
   */
  readonly referenceable?: boolean;
  readonly uuid?: boolean;
  readonly len_eq?: number;
  readonly len_min?: number;
  readonly len_max?: number;
  readonly starts_with?: string;
  readonly match?: RegExp;
  readonly not_match?: RegExp;
  readonly match_none?: readonly PatternRule[];
  readonly match_all?: readonly PatternRule[];
  readonly match_any?: { readonly patterns: readonly RegExp[]; readonly err: string };
}

export interface IntegerField extends FieldBase {
  readonly type: 'integer';
  readonly between?: readonly [number, number];
  readonly gt?: number;
  readonly timestamp?: boolean;
}

export interface NumberField extends FieldBase {
  readonly type: 'number';
  readonly between?: readonly [number, number];
  readonly gt?: number;
  readonly timestamp?: boolean;
}

export interface BooleanField extends FieldBase {
  readonly type: 'boolean';
}

export interface ArrayField extends FieldBase {
  readonly type: 'array' | 'set';
  readonly elements: FieldDescriptor;
  readonly len_eq?: number;
  readonly len_min?: number;
  readonly len_max?: number;
  readonly contains?: string;
  readonly mutually_exclusive_subsets?: readonly (readonly string[])[];
}

export interface MapField extends FieldBase {
  readonly type: 'map';
  readonly keys: FieldDescriptor;
  readonly values: FieldDescriptor;
  readonly len_min?: number;
  readonly len_max?: number;
}

export interface RecordField extends FieldBase {
  readonly type: 'record';
  readonly fields: FieldMap;
  readonly entity_checks?: readonly EntityCheck[];
  /** The plugins entity's `config`: replaced by the plugin's own schema. */
  readonly abstract?: boolean;
  /**
   * Input-only fields of this record expanded into real ones before validation (Kong's record
   * `shorthand_fields`, e.g. rate-limiting's deprecated `redis_host` → `redis.host`); see shorthand.ts.
   */
  readonly shorthand_fields?: { readonly [name: string]: RecordShorthand };
}

/**
 * A record's shorthand: the value is validated as the descriptor, then `func` gives the real
 * fields it sets. With `deprecation`, the real fields win over it and a different value under a
 * `replaced_with` path is an error (Kong's validate_deprecation_exclusiveness).
 */
export type RecordShorthand = FieldDescriptor & {
  readonly func: (value: never) => Record<string, unknown> | undefined;
  readonly deprecation?: {
    readonly message: string;
    readonly removal_in_version: string;
    readonly replaced_with: readonly { readonly path: readonly string[] }[];
  };
};

export interface ForeignField extends FieldBase {
  readonly type: 'foreign';
  readonly reference: EntityName;
  /** Kong's default when absent: deleting the referenced entity is refused while references exist. */
  readonly on_delete?: 'cascade';
}

export type FieldDescriptor =
  | StringField
  | IntegerField
  | NumberField
  | BooleanField
  | ArrayField
  | MapField
  | RecordField
  | ForeignField;

/** Ordered: the order is the one `GET /schemas/{entity}` lists. */
export type FieldMap = { readonly [name: string]: FieldDescriptor };

/** A custom check's result: true when valid, or the message for `@entity`. */
export type EntityCheckResult = true | string;

/** Cross-field rules, Kong's `entity_checks`. */
export type EntityCheck =
  | { readonly at_least_one_of: readonly string[] }
  | { readonly only_one_of: readonly string[] }
  | { readonly mutually_required: readonly string[] }
  | { readonly mutually_exclusive: readonly string[] }
  | { readonly distinct: readonly string[] }
  | {
      readonly conditional: {
        readonly if_field: string;
        readonly if_match: Partial<FieldDescriptor>;
        readonly then_field: string;
        readonly then_match: Partial<FieldDescriptor>;
        readonly then_err?: string;
      };
    }
  | {
      readonly conditional_at_least_one_of: {
        readonly if_field: string;
        readonly if_match: Partial<FieldDescriptor>;
        readonly then_at_least_one_of: readonly string[];
        readonly then_err?: string;
        readonly else_match?: Partial<FieldDescriptor>;
        readonly else_then_at_least_one_of?: readonly string[];
        readonly else_then_err?: string;
      };
    }
  | {
      readonly custom_entity_check: {
        readonly field_sources: readonly string[];
        readonly fn: (entity: Record<string, unknown>) => EntityCheckResult;
      };
    };

/** A part of a schema that replaces fields and adds checks, selected by the value of `subschema_key`. */
export interface Subschema {
  readonly name: string;
  readonly fields: FieldMap;
  readonly entity_checks?: readonly EntityCheck[];
}

/** Derived values written after validation (Kong's `transformations`, e.g. ca_certificates.cert_digest). */
export interface Transformation {
  readonly input: readonly string[];
  readonly on_write: (entity: Record<string, unknown>) => Record<string, unknown>;
}

export type EntityName =
  | 'services'
  | 'routes'
  | 'consumers'
  | 'plugins'
  | 'upstreams'
  | 'targets'
  | 'certificates'
  | 'snis'
  | 'ca_certificates'
  | 'keyauth_credentials'
  | 'basicauth_credentials'
  | 'jwt_secrets'
  | 'hmacauth_credentials'
  | 'oauth2_credentials'
  | 'oauth2_tokens'
  | 'acls'
  | 'vaults';

export interface EntityDefinition {
  /** Table and `kong.db.<name>` name. */
  readonly name: EntityName;
  /** Admin API collection path, e.g. `/services`, `/key-auths`. */
  readonly endpoint: string;
  /** Path under `/consumers/{consumer}/` for credentials (Kong's admin_api_nested_name). */
  readonly nested_endpoint?: string;
  readonly primary_key: readonly ['id'];
  /** The second way to address one entity in a URL (`/services/{name}`), when Kong has one. */
  readonly endpoint_key?: string;
  /** Fields that together identify one entity (uniqueness), as Kong's cache_key. */
  readonly cache_key?: readonly string[];
  readonly fields: FieldMap;
  readonly entity_checks?: readonly EntityCheck[];
  readonly subschema_key?: string;
  readonly subschema_error?: string;
  readonly subschemas?: { readonly [key: string]: Subschema };
  /** Input-only fields expanded into real fields before validation (services.url). */
  readonly shorthand_fields?: {
    readonly [name: string]: {
      readonly type: 'string';
      readonly func: (value: string) => Record<string, unknown> | undefined;
    };
  };
  readonly transformations?: readonly Transformation[];
  /** Set by Kong's plugin DAO for credentials: the plugin that owns the entity. */
  readonly plugin?: string;
}

// ---- TypeScript types derived from descriptors ------------------------------------------

type Mutable<T> = T extends readonly (infer U)[] ? U[] : T;

type ValueOf<F> = F extends { readonly type: 'string'; readonly one_of: readonly (infer U)[] }
  ? U
  : F extends { readonly type: 'string' }
    ? string
    : F extends { readonly type: 'integer' | 'number'; readonly one_of: readonly (infer U)[] }
      ? U
      : F extends { readonly type: 'integer' | 'number' }
        ? number
        : F extends { readonly type: 'boolean' }
          ? boolean
          : F extends { readonly type: 'array' | 'set'; readonly elements: infer E }
            ? ValueOf<E>[]
            : F extends { readonly type: 'map'; readonly values: infer V }
              ? Record<string, ValueOf<V>>
              : F extends { readonly type: 'record'; readonly fields: infer R }
                ? RecordOf<R>
                : F extends { readonly type: 'foreign' }
                  ? { id: string }
                  : unknown;

/** A field is never null when required or defaulted to a non-null value. */
type FieldValue<F> = F extends { readonly required: true }
  ? ValueOf<F>
  : F extends { readonly auto: true }
    ? ValueOf<F>
    : F extends { readonly default: infer D }
      ? D extends null
        ? ValueOf<F> | null
        : ValueOf<F>
      : ValueOf<F> | null;

export type RecordOf<R> = { -readonly [K in keyof R]: Mutable<FieldValue<R[K]>> };

/** The stored shape of an entity, derived from its definition. */
export type EntityOf<D extends { readonly fields: FieldMap }> = RecordOf<{
  readonly [K in keyof D['fields'] as D['fields'][K] extends { virtual: true } ? never : K]: D['fields'][K];
}>;

// ---- How another process reads entities -------------------------------------------------

/** A value no reader changes: every property and array element readonly, at any depth. */
export type Immutable<T> = T extends readonly (infer U)[]
  ? readonly Immutable<U>[]
  : T extends object
    ? { readonly [K in keyof T]: Immutable<T[K]> }
    : T;

/**
 * A field value as a reader outside the DAO must take it: a record may lack any of its fields
 * (or hold null) at any depth, since the reader applies the schema's defaults itself; a
 * foreign key is `{ id }`; a map keeps its values.
 */
export type Lenient<T> = T extends readonly (infer U)[]
  ? readonly Lenient<U>[]
  : T extends { readonly id: string }
    ? Immutable<T>
    : T extends object
      ? string extends keyof T
        ? { readonly [key: string]: Lenient<T[string]> }
        : { readonly [K in keyof T]?: Lenient<T[K]> | null }
      : T;

/** The fields `K` of `T`, each of which may be absent or null (the reader applies its default). */
export type OptionalFields<T, K extends keyof T> = { readonly [P in K]?: T[P] | null };
