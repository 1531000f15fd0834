/**
 * Kong's validation messages (kong/db/schema/init.lua `validation_errors`), word for word:
 * clients match on them.
 */

/** Kong's quoted_list: `'a', 'b'`, nested lists as `('a', 'b')`. */
export function quotedList(words: readonly (string | readonly string[])[]): string {
  return words.map((w) => (typeof w === 'string' ? `'${w}'` : `(${quotedList(w)})`)).join(', ');
}

export const MSG = {
  ARRAY: 'expected an array',
  SET: 'expected a set',
  MAP: 'expected a map',
  RECORD: 'expected a record',
  STRING: 'expected a string',
  NUMBER: 'expected a number',
  BOOLEAN: 'expected a boolean',
  INTEGER: 'expected an integer',
  eq: (v: string) => `value must be ${v}`,
  ne: (v: string) => `value must not be ${v}`,
  gt: (v: number) => `value must be greater than ${v}`,
  between: (a: number, b: number) => `value should be between ${a} and ${b}`,
  lenEq: (n: number) => `length must be ${n}`,
  lenMin: (n: number) => `length must be at least ${n}`,
  lenMax: (n: number) => `length must be at most ${n}`,
  match: (v: string) => `invalid value: ${v}`,
  startsWith: (s: string) => `should start with: ${s}`,
  contains: (s: string) => `expected to contain: ${s}`,
  oneOf: (options: readonly (string | number)[]) => `expected one of: ${options.join(', ')}`,
  notOneOf: (options: readonly (string | number)[]) => `must not be one of: ${options.join(', ')}`,
  TIMESTAMP: 'expected a valid timestamp',
  UUID: 'expected a valid UUID',
  BAD_INPUT: 'expected an input table',
  REQUIRED: 'required field missing',
  UNKNOWN: 'unknown field',
  IMMUTABLE: 'immutable field cannot be updated',
  MISSING_PK: 'missing primary key',
  requiredForEntityCheck: (updating: boolean) =>
    updating ? 'field required for entity check when updating' : 'field required for entity check',
  conditional: (field: string) => `failed conditional validation given value of field '${field}'`,
  atLeastOneOf: (list: string, updating: boolean) =>
    `${updating ? 'when updating, ' : ''}at least one of these fields must be non-empty: ${list}`,
  onlyOneOf: (list: string) => `exactly one of these fields must be non-empty: ${list}`,
  distinct: (list: string) => `values of these fields must be distinct: ${list}`,
  mutuallyRequired: (list: string) => `all or none of these fields must be set: ${list}`,
  mutuallyExclusive: (list: string) => `only one or none of these fields must be set: ${list}`,
  mutuallyExclusiveSets: (list: string) => `these sets are mutually exclusive: ${list}`,
  subschemaUnknown: (key: string) => `unknown type: ${key}`,
} as const;
