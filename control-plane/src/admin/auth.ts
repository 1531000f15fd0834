import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The Admin API token check: `Kong-Admin-Token: <token>` (Kong's header) or
 * `Authorization: Bearer <token>`. Compared in constant time over digests. `OPTIONS` passes:
 * browsers send preflights without the token, and the answer tells only which methods a path
 * serves (methods.ts).
 */
export function adminTokenHook(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (request.method === 'OPTIONS') return;
    const given = presentedToken(request);
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return;
    await reply.code(401).send({ message: 'Invalid credentials. Token or User credentials required' });
  };
}

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers['kong-admin-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
