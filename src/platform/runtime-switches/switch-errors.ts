// What can go wrong when operating switches, with stable codes the admin routes and CLI report.
import { PermanentError, RetryableError } from '../errors.js';

export class UnknownSwitchError extends PermanentError {
  constructor(name: string) {
    super('unknown_switch', `No switch named "${name}"; list them with GET /admin/switches or \`order-actors switches list\``);
  }
}

export class InvalidSwitchValueError extends PermanentError {
  constructor(name: string, reason: string) {
    super('invalid_switch_value', `${name}: ${reason}`);
  }
}

/** ZooKeeper did not answer in time, is not connected, or refused the write: nothing was changed. */
export class SwitchesUnavailableError extends RetryableError {
  constructor(message: string, cause?: unknown) {
    super('switches_unavailable', message, { cause });
  }
}
