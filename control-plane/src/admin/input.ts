/**
 * Text that PostgreSQL cannot hold (a NUL, invalid UTF-8, percent-encoded or not, a lone
 * surrogate) is refused before any route runs, with the Kong error of the place it came from:
 *
 * - a path segment naming an entity: Kong's `invalid unique <endpoint key>` (code 10), or
 *   `invalid primary key` (code 1) for an entity addressed by id only, as its DAO answers;
 * - a query parameter: Kong's `invalid options` (code 11) naming the parameter;
 * - a body string: a schema violation (code 2) naming the field (body.ts, at parse time).
 *
 * Fastify decodes path parameters itself and answers an undecodable one with its own body, so
 * `screenPath` (fastify's rewriteUrl) routes such a segment as `%00` and remembers why; the
 * preValidation hook then raises the error for the parameter at that position.
 */
import type { IncomingMessage } from 'node:http';
import { InvalidOptionsError, InvalidPrimaryKeyError, InvalidUniqueError, luaPretty } from '@turnpike/shared';
import { ENTITIES, type EntityDefinition } from '@turnpike/shared/schema';
import type { FastifyRequest } from 'fastify';
import { textProblem } from '../store/text.ts';
import { decodeComponent, decodePairs } from './url-text.ts';

const kPathProblems = Symbol('turnpike.admin.pathProblems');
const kQueryProblems = Symbol('turnpike.admin.queryProblems');

type Screened = IncomingMessage & { [kPathProblems]?: Map<number, string> };
type ScreenedQuery = Record<string, string | string[]> & { [kQueryProblems]?: Record<string, string> };

/** rewriteUrl: the URL with every undecodable path segment replaced by `%00`, the reasons kept on `req`. */
export function screenPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  // Node refuses raw bytes past ASCII in a request line, so only escapes can hide bad bytes.
  if (!path.includes('%') && !/[^\u0020-\u007e]/.test(path)) return url;
  const segments = path.split('/');
  let problems: Map<number, string> | undefined;
  segments.forEach((segment, i) => {
    const decoded = decodeComponent(segment, { plusIsSpace: false });
    if (decoded.ok) return;
    problems ??= new Map();
    problems.set(i, decoded.message);
    segments[i] = '%00';
  });
  if (problems === undefined) return url;
  (req as Screened)[kPathProblems] = problems;
  return segments.join('/') + (query === -1 ? '' : url.slice(query));
}

/** The querystringParser: repeated keys become arrays; undecodable values are left out and remembered. */
export function parseQuery(text: string): Record<string, string | string[]> {
  const { pairs, problems } = decodePairs(text);
  const query: ScreenedQuery = {};
  for (const [key, value] of pairs) {
    const seen = query[key];
    if (seen === undefined) query[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else query[key] = [seen, value];
  }
  if (Object.keys(problems).length > 0)
    Object.defineProperty(query, kQueryProblems, { value: problems, enumerable: false });
  return query;
}

/** Entities by the path segment that lists them (`services`, and nested ones such as `key-auth`). */
const BY_SEGMENT = new Map<string, EntityDefinition>();
for (const def of Object.values(ENTITIES) as EntityDefinition[]) {
  BY_SEGMENT.set(def.endpoint.slice(1), def);
  if (def.nested_endpoint !== undefined) BY_SEGMENT.set(def.nested_endpoint, def);
}

/** The error Kong's DAO gives for a path parameter holding `message`, by what the segment before it names. */
function pathError(route: readonly string[], index: number, message: string): Error {
  const owner = route[index - 1] ?? '';
  const param = route[index]!.slice(1);
  if (owner === 'tags') return new InvalidUniqueError('tag', message);
  const def = route[1] === 'schemas' ? undefined : BY_SEGMENT.get(owner);
  if (def === undefined) return new InvalidUniqueError(param, message);
  // Certificates are also addressed by one of their SNI names.
  const unique = def.endpoint_key ?? (def.name === 'certificates' ? 'name' : undefined);
  if (unique !== undefined) return new InvalidUniqueError(unique, message);
  const fields = { id: message };
  return new InvalidPrimaryKeyError(`invalid primary key: '${luaPretty(fields)}'`, fields);
}

/** preValidation: throws the Kong error for the first path parameter or query parameter that is not valid text. */
export async function screenInput(request: FastifyRequest): Promise<void> {
  const url = request.routeOptions.url;
  if (url?.includes(':')) {
    const route = url.split('/');
    const problems = (request.raw as Screened)[kPathProblems];
    const params = request.params as Record<string, string>;
    for (let i = 0; i < route.length; i++) {
      if (!route[i]!.startsWith(':')) continue;
      const value = params[route[i]!.slice(1)];
      const message = problems?.get(i) ?? (value === undefined ? undefined : textProblem(value));
      if (message !== undefined) throw pathError(route, i, message);
    }
  }
  const queryProblems = (request.query as ScreenedQuery | undefined)?.[kQueryProblems];
  if (queryProblems !== undefined) throw new InvalidOptionsError(queryProblems);
}
