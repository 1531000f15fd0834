import {
  AdminRequestError,
  DatabaseUnavailableError,
  KONG_STATUS_MESSAGES,
  KongError,
  toError,
} from '@turnpike/shared';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** Seconds a client is asked to wait (`Retry-After`) while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The body Kong sends for an HTTP-level client error of this status (kong/error_handlers.lua). */
export function statusMessage(status: number): { message: string } {
  return { message: KONG_STATUS_MESSAGES[status] ?? KONG_STATUS_MESSAGES[400]! };
}

/**
 * Fastify's own errors, by code, as Kong answers the same request: its Admin API's words where
 * it has them (`Cannot parse JSON body`), nginx's (error_handlers.lua) where nginx answers.
 * A fastify error code or text never reaches a client.
 */
function fastifyErrorReply(err: FastifyError, request: FastifyRequest): [number, { message: string }] {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return [400, { message: 'Cannot parse JSON body' }];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // Kong answers a bare 415; naming the type is kinder.
      return [415, { message: `Unsupported Content-Type: ${request.headers['content-type'] ?? ''}` }];
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return [413, statusMessage(413)];
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return [414, statusMessage(414)];
    default: {
      const status = err.statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) return [status, statusMessage(status)];
      return [500, { message: 'An unexpected error occurred' }];
    }
  }
}

/**
 * The one place where errors become Kong's JSON: KongErrors render themselves
 * (`{ message, name, code, fields }`); AdminRequestErrors are Kong's bare `{ message }`; a database out of reach is 503 with Retry-After and
 * Kong's `database error` (code 8) name; body-parsing and other fastify failures get Kong's
 * words; anything else is logged with context and answered with Kong's opaque 500.
 */
export function adminErrorHandler(thrown: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (thrown instanceof KongError) {
    reply.code(thrown.status).send(thrown.toJSON());
    return;
  }
  if (thrown instanceof AdminRequestError) {
    reply.code(thrown.status).send({ message: thrown.message });
    return;
  }
  if (thrown instanceof DatabaseUnavailableError) {
    // Logged once per outage by the datastore's health monitor; per request only at debug.
    request.log.debug(
      { err: thrown.message, method: request.method, url: request.url },
      'database unavailable',
    );
    reply
      .code(503)
      .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
      .send({ message: 'database unavailable', name: 'database error', code: 8 });
    return;
  }
  const err = toError(thrown) as FastifyError;
  if (err instanceof SyntaxError) {
    reply.code(400).send({ message: 'Cannot parse JSON body' });
    return;
  }
  const [status, body] = fastifyErrorReply(err, request);
  if (status === 500)
    request.log.error({ err, method: request.method, url: request.url }, 'admin request failed');
  reply.code(status).send(body);
}

export function adminNotFoundHandler(_request: FastifyRequest, reply: FastifyReply): void {
  reply.code(404).send({ message: 'Not found' });
}
