// One place where errors become HTTP answers: {"error": code, "message": …} (plus "issues" for
// validation), the same envelope for fastify's own parser errors, our errors and the unexpected.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PublishError } from '../platform/amqp/publisher.js';
import { AppError } from '../platform/errors.js';
import { ForbiddenError, UnauthorizedError } from '../sellers/seller-auth.js';
import { ConflictError, NotFoundError, TooManyRequestsError, ValidationError } from './http-errors.js';

const FASTIFY_CODES: Record<string, { status: number; error: string; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, error: 'unsupported_media_type', message: 'Send the body as Content-Type: application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, error: 'invalid_content_length', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, error: 'body_too_large', message: 'The body exceeds the size limit' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, error: 'empty_body', message: 'The body is empty; send a JSON object' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, error: 'invalid_json', message: 'The body is not valid JSON, or uses a forbidden key such as __proto__' },
  FST_ERR_BAD_URL: { status: 400, error: 'invalid_url', message: 'The path is not valid percent-encoded UTF-8' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, error: 'uri_too_long', message: 'A path segment is longer than any id this API uses' },
};

/**
 * For fastify's `frameworkErrors`: the router refuses a malformed or over-long path before any route
 * or error handler runs, and would otherwise answer in its own shape, echoing the path back.
 */
export function answerFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const known = FASTIFY_CODES[err.code];
  if (known) void reply.code(known.status).send({ error: known.error, message: known.message });
  else {
    req.log.error({ err }, 'request failed in the router');
    void reply.code(500).send({ error: 'internal_error', message: 'Something went wrong on our side; it has been logged' });
  }
}

/** Seconds a client should wait before retrying a request refused for lack of capacity. */
export const RETRY_AFTER_S = 1;

/**
 * What a client is told when a publish did not succeed. Refused and unknown are different answers:
 * a message written but never confirmed may still reach the queue, so the client is told to resend
 * the same request, which is safe because every consumer step is idempotent.
 */
export function publishFailureBody(err: PublishError): { error: 'unavailable' | 'unconfirmed'; message: string } {
  return err.code === 'publish_unconfirmed'
    ? { error: 'unconfirmed', message: 'RabbitMQ did not confirm in time, so this may or may not have been queued. Resend the same request: that is safe and never creates a second order.' }
    : { error: 'unavailable', message: 'RabbitMQ could not take the message; nothing was queued. Retry shortly.' };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `No route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ValidationError) {
      return reply.code(400).send({ error: err.code, message: err.message, issues: err.issues });
    }
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.code, message: err.message });
    if (err instanceof UnauthorizedError) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: err.code, message: err.message });
    }
    if (err instanceof ForbiddenError) return reply.code(403).send({ error: err.code, message: err.message });
    if (err instanceof ConflictError) return reply.code(409).send({ error: err.code, message: err.message });
    if (err instanceof TooManyRequestsError) {
      return reply.code(429).header('retry-after', String(err.retryAfterS)).send({ error: err.code, message: err.message });
    }
    if (err instanceof PublishError) {
      req.log.warn({ err }, 'could not hand the request to RabbitMQ');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send(publishFailureBody(err));
    }
    if (err instanceof AppError && err.code === 'overloaded') {
      return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send({ error: err.code, message: err.message });
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return reply.code(known.status).send({ error: known.error, message: known.message });
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Other client errors fastify detected (e.g. a __proto__ key, a malformed header).
      return reply.code(err.statusCode).send({ error: 'bad_request', message: err.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'Something went wrong on our side; it has been logged' });
  });
}
