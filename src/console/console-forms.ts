// Forms, query strings and path parameters of the console checked against their zod schemas; what
// does not fit is the same 400 ValidationError the REST API answers with. Checked in the handlers,
// not as route schemas as the API's routes are: fastify validates route schemas before preHandler
// hooks, and the CSRF check (a preHandler) must refuse a forged form before its fields are judged.
import type { z } from 'zod';
import { toIssues, ValidationError } from '../http/http-errors.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ValidationError(toIssues(parsed.error));
  return parsed.data;
}
