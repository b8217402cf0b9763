// The one grammar of the ids the service takes from outside (orders, sellers, delays): short, plain
// ASCII, safe in a URL path, a queue header, a log line and a terminal without escaping.
import { z } from 'zod';

export const ID = /^[A-Za-z0-9_-]{1,64}$/;
export const IdSchema = z.string().regex(ID, '1–64 characters of A–Z, a–z, 0–9, _ or -');
/** The same test without zod, for the fast checks on the hot path. */
export const isId = (v: unknown): boolean => typeof v === 'string' && ID.test(v);
