import { KongError, toError } from '@turnpike/shared';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The one place where errors become Kong's JSON: KongErrors render themselves
 * (`{ message, name, code, fields }`), body-parsing failures get Kong's words, anything else is
 * logged with context and answered with Kong's opaque 500.
 */
export function adminErrorHandler(thrown: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (thrown instanceof KongError) {
    reply.code(thrown.status).send(thrown.toJSON());
    return;
  }
  const err = toError(thrown) as FastifyError;
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
    reply.code(400).send({ message: 'Cannot parse JSON body' });
    return;
  }
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    reply.code(400).send({ message: 'Cannot parse JSON body' });
    return;
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    reply.code(415).send({ message: `Unsupported Content-Type: ${request.headers['content-type'] ?? ''}` });
    return;
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    reply.code(413).send({ message: 'Request body too large' });
    return;
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    reply.code(err.statusCode).send({ message: err.message });
    return;
  }
  request.log.error({ err, method: request.method, url: request.url }, 'admin request failed');
  reply.code(500).send({ message: 'An unexpected error occurred' });
}

export function adminNotFoundHandler(_request: FastifyRequest, reply: FastifyReply): void {
  reply.code(404).send({ message: 'Not found' });
}
