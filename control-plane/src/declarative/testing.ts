/** Shared by the declarative tests: plugin schemas and certificate fixtures. */
import { readFileSync } from 'node:fs';
import {
  configRecord,
  definePluginSchema,
  type PluginSchema,
  type PluginSchemaLookup,
} from '@turnpike/shared/schema';

const keyAuth = definePluginSchema({
  name: 'key-auth',
  fields: {
    config: configRecord({ key_names: { type: 'array', elements: { type: 'string' }, default: ['apikey'] } }),
  },
});
const rateLimiting = definePluginSchema({
  name: 'rate-limiting',
  fields: {
    config: configRecord({ minute: { type: 'number', gt: 0 }, hour: { type: 'number', gt: 0 } }, [
      { at_least_one_of: ['minute', 'hour'] },
    ]),
  },
});
const schemas = new Map<string, PluginSchema>([
  [keyAuth.name, keyAuth],
  [rateLimiting.name, rateLimiting],
]);

export const testPluginSchemas: PluginSchemaLookup = (name) => schemas.get(name);

export function certificateFixture(name: 'rsa.crt' | 'rsa.key' | 'ca.crt'): string {
  return readFileSync(new URL(`../../../shared/src/schema/fixtures/${name}`, import.meta.url), 'utf8');
}
