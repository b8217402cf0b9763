// One place where errors become HTTP answers: {"error": code, "message": …} (plus "issues" for
// validation), the same envelope for fastify's own parser errors, our errors and the unexpected.
// Our errors carry their answer (HttpError); the few that come from below HTTP (a refused publish,
// ZooKeeper away, the intake guard), a route schema refusing the request, and fastify's own are
// turned into one here.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { PublishError } from '../platform/amqp/publisher.js';
import { AppError } from '../platform/errors.js';
import { SwitchesUnavailableError } from '../platform/runtime-switches/switch-errors.js';
import { HttpError, ServiceUnavailableError, toIssuesFromValidation, ValidationError } from './http-errors.js';

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
    ? {
        error: 'unconfirmed',
        message:
          'RabbitMQ did not confirm in time, so this may or may not have been queued. Resend the same request: that is safe and never creates a second order.',
      }
    : { error: 'unavailable', message: 'RabbitMQ could not take the message; nothing was queued. Retry shortly.' };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `No route ${req.method} ${req.url.split('?')[0]}` });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const answer = asHttpError(err);
    if (!answer) {
      req.log.error({ err }, 'request failed');
      return reply.code(500).send({ error: 'internal_error', message: 'Something went wrong on our side; it has been logged' });
    }
    if (answer.status >= 500) req.log.warn({ err }, 'could not serve the request');
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
}

/** The HTTP answer an error stands for, or undefined for the unexpected (a 500). */
export function asHttpError(err: FastifyError | Error): HttpError | undefined {
  if (err instanceof HttpError) return err;
  // A route's zod schema refused the body, query or path (fastify's validation step).
  if (hasZodFastifySchemaValidationErrors(err)) return new ValidationError(toIssuesFromValidation(err.validation));
  if (err instanceof PublishError) {
    const { error, message } = publishFailureBody(err);
    return new ServiceUnavailableError(error, message, RETRY_AFTER_S);
  }
  if (err instanceof SwitchesUnavailableError || (err instanceof AppError && err.code === 'overloaded')) {
    return new ServiceUnavailableError(err.code, err.message, RETRY_AFTER_S);
  }
  const code = (err as FastifyError).code;
  const known = code ? FASTIFY_CODES[code] : undefined;
  if (known) return new HttpError(known.status, known.error, known.message);
  const status = (err as FastifyError).statusCode;
  // Other client errors fastify detected (e.g. a __proto__ key, a malformed header).
  if (status && status >= 400 && status < 500) return new HttpError(status, 'bad_request', err.message);
  return undefined;
}
