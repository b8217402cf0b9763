// Switch errors as the HTTP envelope's errors, for every HTTP surface that flips or previews
// switches (the admin REST routes and the operator console): an unknown switch is 404, a value
// that does not fit is 400 naming `value`. ZooKeeper away stays a 503 from the error handler.
import { NotFoundError, ValidationError } from '../http/http-errors.js';
import { InvalidSwitchValueError, UnknownSwitchError } from '../platform/runtime-switches/switch-errors.js';

export async function withSwitchHttpErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof UnknownSwitchError) throw new NotFoundError(err.message);
    if (err instanceof InvalidSwitchValueError) throw new ValidationError([{ path: 'value', message: err.message }]);
    throw err;
  }
}
