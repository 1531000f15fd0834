/**
 * A Router for the next config version built from the previous one and what changed, in time
 * proportional to the change: the changed routes' sub-routes leave and join the rank order
 * (binary search in copy-on-write chunks, ranked-order.ts), their host buckets and prefix lists
 * are copied and edited (index-draft.ts), and the match cache inherits the previous one's answers
 * that the change cannot alter (match.ts). The previous Router is left intact.
 *
 * The result matches what compileRouter gives for the whole new config (patch.test.ts checks it
 * on random sequences); ranks differ (a patch inserts between two), their order does not. When a
 * change is large, or two ranks leave no room between them, it compiles in full instead.
 */

import { type CompiledRoute, compileRouter, newMatchCache, RANK_STEP, type Router } from './compile.ts';
import { IndexDraft } from './index-draft.ts';
import { compareEntries, type Pending, prepareRoute } from './prepare.ts';
import type { RouteConfig, RouterProblem, ServiceConfig } from './types.ts';

export interface RouterChanges {
  /** Routes upserted (their new value) or deleted (undefined), by id. */
  readonly routes: ReadonlyMap<string, RouteConfig | undefined>;
  /** Ids of services upserted or deleted: the routes naming them are rebuilt too. */
  readonly services: ReadonlySet<string>;
  /** Every service of the new version, by id. */
  readonly serviceMap: ReadonlyMap<string, ServiceConfig>;
  /** Every route of the new version: read to find a changed service's routes, or to compile in full. */
  readonly allRoutes: () => Iterable<RouteConfig>;
}

/** Above this share of the routes, a full compile is as cheap as a patch. */
const FULL_COMPILE_SHARE = 0.25;
const MIN_PATCH = 64;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** The routes to rebuild: the changed ones, and those naming a changed service. */
function touchedRoutes(changes: RouterChanges): Map<string, RouteConfig | undefined> {
  const touched = new Map(changes.routes);
  if (changes.services.size === 0) return touched;
  for (const route of changes.allRoutes()) {
    const service = route.service?.id;
    if (service !== undefined && changes.services.has(service) && !touched.has(route.id)) {
      touched.set(route.id, route);
    }
  }
  return touched;
}

function fullCompile(previous: Router, changes: RouterChanges): Router {
  return compileRouter([...changes.allRoutes()], changes.serviceMap, {
    cacheSize: previous.state.cacheSize,
    flavor: previous.flavor,
  });
}

/** The next version's Router; `problems` holds only those of the routes the change touched. */
export function patchRouter(previous: Router, changes: RouterChanges): Router {
  const state = previous.state;
  const touched = touchedRoutes(changes);
  if (touched.size > Math.max(MIN_PATCH, state.order.length * FULL_COMPILE_SHARE)) {
    return fullCompile(previous, changes);
  }
  const order = state.order.edit();
  const draft = new IndexDraft(previous.index);
  const problems: RouterProblem[] = [];
  const pending: Pending[] = [];
  for (const [id, route] of touched) {
    for (const old of state.byRoute.get(id) ?? []) {
      order.remove(old);
      draft.remove(old);
    }
    if (route !== undefined)
      pending.push(...prepareRoute(route, changes.serviceMap, problems, previous.flavor));
  }
  pending.sort(compareEntries);
  const byRoute = new Map<string, CompiledRoute[]>();
  for (const id of touched.keys()) byRoute.set(id, []);
  for (const entry of pending) {
    const place = order.place(entry);
    const before = place.before?.rank;
    const after = place.after?.rank;
    const rank =
      before === undefined
        ? (after ?? 0) - RANK_STEP
        : after === undefined
          ? before + RANK_STEP
          : before + (after - before) / 2;
    // Doubles ran out of room between two neighbours: renumber everything once.
    if ((before !== undefined && rank <= before) || (after !== undefined && rank >= after)) {
      return fullCompile(previous, changes);
    }
    const compiled = entry.build(rank);
    order.insert(place, compiled);
    byRoute.get(entry.route.id)!.push(compiled);
    draft.add(compiled);
  }
  const index = draft.seal();
  const sealed = order.seal();
  // The previous version's cache entries stay candidates (checked against `changed` in match.ts),
  // unless the cache key changed shape (a header name joined or left the key).
  const inherits = previous.cache !== undefined && sameList(index.headerNames, previous.index.headerNames);
  const added: CompiledRoute[] = [];
  for (const list of byRoute.values()) added.push(...list);
  return {
    flavor: previous.flavor,
    size: sealed.length,
    problems,
    index,
    cache: inherits ? previous.cache!.inherit() : newMatchCache(state.cacheSize),
    ...(inherits ? { changed: { routes: new Set(touched.keys()), added } } : {}),
    state: {
      order: sealed,
      byRoute: state.byRoute.with(
        [...byRoute].map(([id, list]) => [id, list.length === 0 ? undefined : list] as const),
      ),
      cacheSize: state.cacheSize,
    },
  };
}
