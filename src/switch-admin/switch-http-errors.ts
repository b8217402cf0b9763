// Switch errors as the HTTP envelope's errors, for every HTTP surface that flips or previews
// switches (the admin REST routes and the operator console): an unknown switch is 404, a value
// that does not fit is 400 naming `value`, a malformed name in the path 400 naming `name` (the
// routes' params schema). ZooKeeper away stays a 503 from the error handler.
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../http/http-errors.js';
import { InvalidSwitchValueError, UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';
import { SWITCH_NAME_PATTERN } from '../platform/runtime-switches/switch-registry.js';

/** The switch named in a route's path (`/…/switches/:name`). */
export const SwitchNameParams = z.strictObject({ name: z.string().regex(SWITCH_NAME_PATTERN, 'a switch name such as order-rules-v2') });

export async function withSwitchHttpErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof UnknownSwitchError) throw new NotFoundError(err.message);
    if (err instanceof InvalidSwitchValueError) throw new ValidationError([{ path: 'value', message: err.message }]);
    throw err;
  }
}
