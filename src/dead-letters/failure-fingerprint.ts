// One line per cause, not one per message: failures share a fingerprint when the same actor failed
// with the same error code and the same message once what varies per message (ids, numbers, uuids,
// timestamps) is taken out. Pure, so the grouping rules are unit-tested.
import { createHash } from 'node:crypto';

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g;
const LONG_HEX = /\b[0-9a-f]{12,}\b/gi;
// An id-like token: letters, digits, - or _, with at least one digit and one - or _ (T-lx1-ab12, farm-7).
const ID_TOKEN = /\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[-_])[A-Za-z0-9][A-Za-z0-9_-]*/g;
const DIGITS = /\d+/g;

export const NORMALISED_MESSAGE_MAX_CHARS = 300;

/** The message with its per-message parts replaced by placeholders. */
export function normaliseErrorMessage(message: string): string {
  return message
    .replace(UUID, '<uuid>')
    .replace(ISO_TIME, '<time>')
    .replace(LONG_HEX, '<hex>')
    .replace(ID_TOKEN, '<id>')
    .replace(DIGITS, '#')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, NORMALISED_MESSAGE_MAX_CHARS);
}

/** 16 hex characters naming a cause; also the `groupId` operators replay by. */
export function failureFingerprint(actor: string, errorCode: string, errorMessage: string): string {
  return createHash('sha256')
    .update(`${actor}\u0000${errorCode}\u0000${normaliseErrorMessage(errorMessage)}`)
    .digest('hex')
    .slice(0, 16);
}

export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;
