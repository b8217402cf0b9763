// Errors that are HTTP answers: each carries its status, its headers and its body, so the error
// handler sends any of them the same way, in the one envelope {"error": code, "message": …}.
import { AppError } from '../platform/errors.js';

export type Issue = { path: string; message: string };

export class HttpError extends AppError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Fields the body carries besides error and message (e.g. a validation error's issues). */
  readonly fields: Readonly<Record<string, unknown>>;
  constructor(status: number, code: string, message: string, extra: { headers?: Record<string, string>; fields?: Record<string, unknown> } = {}) {
    super(code, message, { retryable: status >= 500 });
    this.status = status;
    this.headers = extra.headers ?? {};
    this.fields = extra.fields ?? {};
  }

  get body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.fields };
  }
}

export class ValidationError extends HttpError {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(400, 'validation_failed', 'The request body is invalid; see issues for each field', { fields: { issues } });
    this.issues = issues;
  }
}

/** No credentials, or ones that identify no one. */
export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, 'unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

/** A known caller that may not do this. */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** The caller used up an allowance; Retry-After says when it renews. */
export class TooManyRequestsError extends HttpError {
  readonly retryAfterS: number;
  constructor(code: string, message: string, retryAfterS: number) {
    super(429, code, message, { headers: { 'retry-after': String(retryAfterS) } });
    this.retryAfterS = retryAfterS;
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

/** Something this request needs is down for now; Retry-After says when to try again. */
export class ServiceUnavailableError extends HttpError {
  constructor(code: string, message: string, retryAfterS: number) {
    super(503, code, message, { headers: { 'retry-after': String(retryAfterS) } });
  }
}

/** Issues of a zod error in the envelope's shape: dotted paths, one entry per problem. */
export function toIssues(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] }> }): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.code === 'unrecognized_keys' && i.keys ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
  }));
}

/**
 * Issues of a route schema that refused the request. The zod type provider hands fastify each zod
 * issue with its path as a JSON pointer (`/buyer/phone`) and the rest of the issue in `params`; this
 * reads them back, so the answer is the one a route checking by hand would give.
 */
export function toIssuesFromValidation(
  validation: ReadonlyArray<{ instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }>,
): Issue[] {
  return toIssues({
    issues: validation.map((v) => ({
      path: v.instancePath.slice(1).split('/'),
      message: v.message ?? v.keyword,
      code: v.keyword,
      keys: Array.isArray(v.params.keys) ? v.params.keys.map(String) : undefined,
    })),
  });
}

/** The request is valid but the resource's state forbids it (e.g. replaying a row already replayed). */
export class ConflictError extends HttpError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}
