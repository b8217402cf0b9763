// The grammar of a buyer's phone number wherever the service takes or passes one: E.164, as the
// messaging API takes it. Which countries a deployment accepts is intake's policy, on top of this.
import { z } from 'zod';

export const PHONE = /^\+[1-9][0-9]{6,14}$/;
export const PhoneSchema = z.string().regex(PHONE, 'an E.164 phone number such as +821012345678');
/** The same test without zod, for the fast checks on the hot path. */
export const isPhone = (v: unknown): boolean => typeof v === 'string' && PHONE.test(v);
