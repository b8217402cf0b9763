// The pure parts of a replay's dry run: judging stored bytes as an actor's decoder would (with the
// actor's own refusals), and the summary an operator decides on.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { replayCheck, type ActorReplayCheck } from '../../src/dead-letters/replay-check.js';
import { summarizeDryRun, type DryRunMessage } from '../../src/dead-letters/replay-dry-run.js';
import { PermanentError } from '../../src/platform/errors.js';
import { createLogger } from '../../src/platform/logger.js';

const Ping = z.strictObject({ type: z.literal('ping'), version: z.literal(1), orderId: z.string() });
type Ping = z.infer<typeof Ping>;

const check: ActorReplayCheck<Ping> = {
  contract: { versions: [1], schema: Ping, orderIdOf: () => undefined },
  refuse: (p) => (p.orderId === 'forged' ? new PermanentError('forged_notification', 'not ours') : undefined),
  forecast: (pings) => Promise.resolve(pings.map((p) => ({ path: { path: `ping-${p.orderId}` }, buyerTold: p.orderId === 'told' }))),
};
const judge = replayCheck(check, { maxMessageBytes: 1_000, maxAttempts: 3 }, createLogger({ level: 'silent' }));
const json = (body: unknown) => ({ body: Buffer.from(JSON.stringify(body)), publish: { contentType: 'application/json' } });

describe('judging a stored message as its actor would', () => {
  it('passes what the actor takes, and fails the rest with the code the actor fails it with', async () => {
    const results = await judge([
      json({ type: 'ping', version: 1, orderId: 'told' }),
      json({ type: 'ping', version: 1, orderId: 'a', extra: 1 }),
      json({ type: 'ping', version: 2, orderId: 'a' }),
      { body: Buffer.from('not json'), publish: { contentType: 'application/json' } },
      { body: Buffer.from('{}'), publish: { contentType: null } },
      json({ type: 'ping', version: 1, orderId: 'forged' }),
      { body: Buffer.alloc(2_000, 32), publish: {} },
    ]);
    expect(results.map((r) => (r.validation.passes ? 'passes' : r.validation.errorCode))).toEqual([
      'passes',
      'invalid_message',
      'unsupported_version',
      'invalid_json',
      'invalid_content_type',
      'forged_notification',
      'too_large',
    ]);
    expect(results[0]).toEqual({ type: 'ping', validation: { passes: true }, forecast: { path: { path: 'ping-told' }, buyerTold: true } });
    expect(results.slice(1).every((r) => r.forecast === null)).toBe(true);
  });
});

const message = (over: Partial<DryRunMessage>): DryRunMessage => ({
  id: 1,
  actor: 'business',
  orderId: 'o',
  type: 'order.submitted',
  status: 'new',
  errorCode: 'x',
  queue: 'q',
  replayable: true,
  notReplayable: null,
  validation: { passes: true },
  path: null,
  buyerAlreadyTold: false,
  ...over,
});

describe('the summary of a dry run', () => {
  it('counts paths, buyers told and validation failures over what a replay would publish, and the rest apart', () => {
    const rule = (name: string) => ({ name, switch: null });
    expect(
      summarizeDryRun([
        message({ path: rule('pricing-rule-v2'), buyerAlreadyTold: true }),
        message({ path: rule('pricing-rule-v2') }),
        message({ path: rule('template-order-confirmed') }),
        message({ validation: { passes: false, errorCode: 'invalid_message', message: '', sameAsBefore: true }, buyerAlreadyTold: null }),
        message({
          replayable: false,
          notReplayable: { code: 'pii_masked', message: '' },
          validation: null,
          path: rule('pricing-rule-v1'),
          buyerAlreadyTold: true,
        }),
      ]),
    ).toEqual({
      messages: 5,
      replayable: 4,
      byPath: { 'pricing-rule-v2': 2, 'template-order-confirmed': 1 },
      alreadyTold: 1,
      wouldFailValidation: 1,
      notReplayable: 1,
    });
  });
});
