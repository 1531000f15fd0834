/**
 * The entity endpoints of the Admin API, derived from the schemas as Kong's
 * kong/api/endpoints.lua derives them: for every entity its collection and entity paths, and
 * for every foreign field the parent's nested collection (`/services/{services}/routes`), the
 * nested entity (`/services/{services}/routes/{routes}`) and the foreign entity
 * (`/routes/{routes}/service`). Pure data: the route modules and `GET /endpoints` read it.
 */
import type { EntityDefinition, EntityName } from '@turnpike/shared/schema';
import { ENTITIES } from '@turnpike/shared/schema';

export type EntityEndpoint =
  /** `/{entity}`: GET (page), POST. */
  | { readonly kind: 'collection'; readonly path: string; readonly kong: string; readonly entity: EntityName }
  /** `/{entity}/:id`: GET, PUT, PATCH, DELETE. */
  | { readonly kind: 'entity'; readonly path: string; readonly kong: string; readonly entity: EntityName }
  /** `/{parent}/:parent/{child}`: the children of one parent, by the child's foreign `field`. */
  | {
      readonly kind: 'nested-collection';
      readonly path: string;
      readonly kong: string;
      readonly entity: EntityName;
      readonly parent: EntityName;
      readonly field: string;
    }
  /** `/{parent}/:parent/{child}/:id`: one child, 404 unless it belongs to the parent. */
  | {
      readonly kind: 'nested-entity';
      readonly path: string;
      readonly kong: string;
      readonly entity: EntityName;
      readonly parent: EntityName;
      readonly field: string;
    }
  /** `/{owner}/:owner/{field}`: the entity the owner's foreign `field` points at (`entity`). */
  | {
      readonly kind: 'foreign-entity';
      readonly path: string;
      readonly kong: string;
      readonly entity: EntityName;
      readonly owner: EntityName;
      readonly field: string;
    };

/** Kong deactivates these (kong/api/routes/targets.lua): targets live under their upstream. */
const DISABLED = new Set(['/targets', '/targets/{targets}', '/targets/{targets}/upstream']);

function segment(def: EntityDefinition): string {
  return def.endpoint.slice(1);
}

function nestedSegment(def: EntityDefinition): string {
  return def.nested_endpoint ?? segment(def);
}

/** Every entity endpoint, in schema order. Fastify paths use `:id` / `:parent` / `:owner`. */
export function entityEndpoints(
  entities: Readonly<Record<EntityName, EntityDefinition>> = ENTITIES,
): EntityEndpoint[] {
  const out: EntityEndpoint[] = [];
  for (const def of Object.values(entities)) {
    const seg = segment(def);
    const kongSelf = `/${seg}/{${def.name}}`;
    out.push({ kind: 'collection', path: `/${seg}`, kong: `/${seg}`, entity: def.name });
    out.push({ kind: 'entity', path: `/${seg}/:id`, kong: kongSelf, entity: def.name });
    for (const [field, descriptor] of Object.entries(def.fields)) {
      if (descriptor.type !== 'foreign') continue;
      const parent = entities[descriptor.reference];
      const pseg = segment(parent);
      const child = nestedSegment(def);
      out.push({
        kind: 'foreign-entity',
        path: `/${seg}/:owner/${field}`,
        kong: `${kongSelf}/${field}`,
        entity: parent.name,
        owner: def.name,
        field,
      });
      out.push({
        kind: 'nested-collection',
        path: `/${pseg}/:parent/${child}`,
        kong: `/${pseg}/{${parent.name}}/${child}`,
        entity: def.name,
        parent: parent.name,
        field,
      });
      out.push({
        kind: 'nested-entity',
        path: `/${pseg}/:parent/${child}/:id`,
        kong: `/${pseg}/{${parent.name}}/${child}/{${def.name}}`,
        entity: def.name,
        parent: parent.name,
        field,
      });
    }
  }
  return out.filter((e) => !DISABLED.has(e.kong));
}

/** Kong's `GET /endpoints` order: segment-wise, as if `/` sorted before every other byte. */
export function sortEndpointPaths(paths: Iterable<string>): string[] {
  const key = (p: string) => p.replaceAll('/', '\u0000');
  return [...new Set(paths)].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** An entity's definition, widened from the literal types of ENTITIES. */
export function definitionOf(name: EntityName): EntityDefinition {
  return ENTITIES[name];
}
