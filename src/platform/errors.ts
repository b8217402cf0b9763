// Every failure in an actor is either retryable (try again later) or permanent (dead-letter now).
// Errors carry a stable `code` that operators group by and HTTP maps from.

export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** The message itself is wrong; trying again cannot help. */
export class PermanentError extends AppError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { retryable: false, cause });
  }
}

/** A dependency is unavailable or slow; the same message may succeed later. */
export class RetryableError extends AppError {
  /** A dependency's own hint (e.g. a 429's Retry-After) for the earliest useful retry. */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super(code, message, { retryable: true, cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Unknown errors (a dropped socket, a pg connection error) are treated as transient. */
export function isRetryable(err: unknown): boolean {
  return err instanceof AppError ? err.retryable : true;
}

export function errorCode(err: unknown): string {
  if (err instanceof AppError) return err.code;
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return 'unexpected_error';
}
