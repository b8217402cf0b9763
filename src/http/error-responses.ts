// The error envelope every error answer uses (error-handler.ts), as a schema the routes document
// their error answers with.
import { z } from 'zod';

// Loose: an error may carry fields of its own besides these (e.g. a validation error's issues).
export const ErrorBodySchema = z
  .looseObject({
    error: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });

/** For a route schema's `response`: these statuses answer with the error envelope. */
export function errorResponses<const C extends number>(...codes: C[]): Record<C, typeof ErrorBodySchema> {
  const described = ErrorBodySchema.describe('see error and message');
  const responses = {} as Record<C, typeof ErrorBodySchema>;
  for (const code of codes) responses[code] = described;
  return responses;
}

/** An error answer with Retry-After, which says in seconds when to try again. */
export function retryLaterResponse(description: string): z.ZodType {
  // @fastify/swagger moves a response schema's `headers` into the documented answer's headers.
  return ErrorBodySchema.meta({ description, headers: { 'retry-after': { type: 'integer', minimum: 1 } } });
}
