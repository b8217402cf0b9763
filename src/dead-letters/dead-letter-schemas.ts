// The contracts of reviewing failures: query strings, path parameters and bodies of the admin routes,
// also used to check the CLI's options, so both accept exactly the same things.
import { z } from 'zod';
import { FINGERPRINT_PATTERN } from './failure-fingerprint.js';

const Instant = z.iso.datetime({ offset: true, error: 'an ISO 8601 instant such as 2026-11-27T09:00:00Z' }).transform((s) => new Date(s));
const Text = (max: number) => z.string().min(1).max(max);

export const FAILED_MESSAGE_STATUSES = ['new', 'replayed', 'discarded'] as const;

const criteria = {
  actor: Text(100).optional(),
  errorCode: Text(200).optional(),
  orderId: Text(200).optional(),
  /** Failures whose last failure is at or after this instant. */
  since: Instant.optional(),
  /** … and before this one. */
  until: Instant.optional(),
};

export const FilterSchema = z.strictObject({ ...criteria, status: z.enum(FAILED_MESSAGE_STATUSES).optional() });

export const ListQuerySchema = FilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The nextCursor of the previous page. */
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'the nextCursor of a previous page')
    .optional(),
});

export const GroupsQuerySchema = FilterSchema.extend({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

const RowId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const IdParamsSchema = z.strictObject({ id: z.coerce.number().pipe(RowId) });

/** Ceiling of a bulk replay's wait over HTTP: the server closes idle sockets after 30 s. */
export const HTTP_PROBE_WAIT_MAX_MS = 25_000;

/** A replay's pace: from one message every ten seconds to a thousand a second. */
export const REPLAY_RATE = { min: 0.1, max: 1_000 } as const;

export const RatePerSecondSchema = z
  .number({ error: 'messages per second, a number such as 5 or 0.5' })
  .min(REPLAY_RATE.min, `at least ${REPLAY_RATE.min} message per second`)
  .max(REPLAY_RATE.max, `at most ${REPLAY_RATE.max} messages per second; leave it out to replay as fast as the broker confirms`);

export const ReplayManyBodySchema = z
  .strictObject({
    /** Only say what a replay would do now; nothing is published or changed. */
    dryRun: z.boolean().default(false),
    /** Rows by id, from GET /admin/dead-letters. */
    ids: z.array(RowId).min(1).max(1_000).optional(),
    /** A group's id from GET /admin/dead-letters/groups. */
    groupId: z.string().regex(FINGERPRINT_PATTERN, 'a groupId from GET /admin/dead-letters/groups').optional(),
    filter: z
      .strictObject(criteria)
      .refine((f) => Object.values(f).some((v) => v !== undefined), 'name at least one criterion; replaying everything is not a filter')
      .optional(),
    /** How many go first, alone, to see whether the cause is fixed. */
    probeSize: z.number().int().min(1).max(100).default(5),
    /** How long to watch the first ones come back; defaults to the whole retry chain (capped over HTTP). */
    probeWaitMs: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(10_000).default(1_000),
    /** Messages per second, the first ones included; unset, as fast as the broker confirms. */
    ratePerSecond: RatePerSecondSchema.optional(),
  })
  .refine((b) => [b.groupId, b.ids, b.filter].filter((v) => v !== undefined).length === 1, {
    message: 'send exactly one of groupId, ids or filter',
    path: ['groupId'],
  });

export const DiscardBodySchema = z.strictObject({ reason: z.string().trim().min(1, 'say why it is discarded').max(500) });

/** Replaying one row takes no options; no body, null or {} is accepted. */
export const ReplayOneBodySchema = z.strictObject({}).nullish();
