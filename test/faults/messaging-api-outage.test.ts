// The messaging API down for a minute (first failing with 500s, then hanging without an answer) in
// the middle of a stream: notifications wait in the retry tiers, and once the API is back every
// buyer is told exactly once, each retry under the idempotency key of the first try. The outage is
// kept shorter than the retry window (RETRY_DELAYS_MS × MAX_ATTEMPTS), so nothing is dead-lettered.
import { expect, it } from 'vitest';
import { sleep } from '../support/wait-for.js';
import { faultsForThisFile } from './support/fault-context.js';

const file = faultsForThisFile('api-outage', () => ({
  // About 80 s of retrying (the last tier repeats), against a one-minute outage; calls give up
  // after 1.5 s when the API hangs.
  env: { RETRY_DELAYS_MS: '500,1000,2000,4000,8000', MAX_ATTEMPTS: '14', NOTIFY_TIMEOUT_MS: '1500' },
}));

it('the messaging API down for a minute mid-stream (failing, then hanging): once it is back every buyer is told once, and nothing is dead-lettered', async () => {
  const stream = file.stream('m', { count: 2_000, ratePerSecond: 20 });

  await stream.acceptedMore(40);
  file.ctx.sandbox.setMode({ mode: 'fail' });
  await sleep(40_000);
  file.ctx.sandbox.setMode({ mode: 'hang' });
  await sleep(20_000);
  file.ctx.sandbox.setMode({ mode: 'ok' });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  // A slow provider slows the notification actor, never the intake.
  expect(result.refused).toEqual([]);
  expect(result.answers.every((a) => a.status === 202)).toBe(true);
  const r = await file.expectRecoveredClean(result);
  // Orders caught by the outage were sent again under the same key: one message each all the same.
  expect(r.resentKeys).toBeGreaterThan(0);
});
