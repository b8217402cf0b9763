// Errors that HTTP handlers throw; the error handler maps them (and fastify's own) to one envelope.
import { AppError } from '../platform/errors.js';

export type Issue = { path: string; message: string };

export class ValidationError extends AppError {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super('validation_failed', 'The request body is invalid; see issues for each field', { retryable: false });
    this.issues = issues;
  }
}

/** The caller used up an allowance; Retry-After says when it renews. */
export class TooManyRequestsError extends AppError {
  readonly retryAfterS: number;
  constructor(code: string, message: string, retryAfterS: number) {
    super(code, message, { retryable: false });
    this.retryAfterS = retryAfterS;
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not_found', message, { retryable: false });
  }
}

/** Issues of a zod error in the envelope's shape: dotted paths, one entry per problem. */
export function toIssues(error: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; keys?: string[] }> }): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.code === 'unrecognized_keys' && i.keys ? `unknown field(s): ${i.keys.join(', ')}` : i.message,
  }));
}

/** The request is valid but the resource's state forbids it (e.g. replaying a row already replayed). */
export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, { retryable: false });
  }
}
