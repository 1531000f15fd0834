/** Entity types, from the Admin API's OpenAPI document (openapi.gen.ts, generated). */
import type { components } from './openapi.gen.ts';

type Schemas = components['schemas'];
export type EntityName = keyof Schemas;
export type Entity<N extends EntityName = EntityName> = Schemas[N] & { id: string };
export type Service = Entity<'services'>;
export type Route = Entity<'routes'>;
export type Consumer = Entity<'consumers'>;
export type Plugin = Entity<'plugins'>;
export type Upstream = Entity<'upstreams'>;

/** A loosely read row, for generic tables and forms. */
export type Row = { id: string } & Record<string, unknown>;
