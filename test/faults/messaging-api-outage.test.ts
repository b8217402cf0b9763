// The messaging API down for a minute (first failing with 500s, then hanging without an answer) in
// the middle of a stream: notifications wait in the retry tiers, and once the API is back every
// buyer is told exactly once, each retry under the idempotency key of the first try. The outage is
// kept shorter than the retry window (RETRY_DELAYS_MS × MAX_ATTEMPTS), so nothing is dead-lettered.
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { createFaultContext, type FaultContext } from './support/fault-context.js';
import { startOrderStream } from './support/order-stream.js';
import { expectReconciledClean, type ReconcileDeps } from './support/reconcile.js';
import { startDeployment, type Deployment } from './support/service-process.js';

let ctx: FaultContext;
let deployment: Deployment;
let deps: ReconcileDeps;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  ctx = await createFaultContext('api-outage', {
    // About 80 s of retrying (the last tier repeats), against a one-minute outage; calls give up
    // after 1.5 s when the API hangs.
    env: { RETRY_DELAYS_MS: '500,1000,2000,4000,8000', MAX_ATTEMPTS: '14', NOTIFY_TIMEOUT_MS: '1500' },
  });
  deps = { db: ctx.db, sandbox: ctx.sandbox, amqpUrl: ctx.amqpUrl, topology: ctx.topology };
  deployment = await startDeployment(ctx.env);
});

afterAll(async () => {
  await deployment?.stop();
  await ctx?.cleanup();
});

it('the messaging API down for a minute mid-stream (failing, then hanging): once it is back every buyer is told once, and nothing is dead-lettered', async () => {
  onTestFailed(() => console.log(deployment.tail(40)));
  const stream = startOrderStream({ intakeUrl: deployment.intakeUrl, idPrefix: `${ctx.id}-m`, count: 2_000, ratePerSecond: 20 });

  await stream.acceptedMore(40);
  ctx.sandbox.setMode({ mode: 'fail' });
  await sleep(40_000);
  ctx.sandbox.setMode({ mode: 'hang' });
  await sleep(20_000);
  ctx.sandbox.setMode({ mode: 'ok' });
  await stream.acceptedMore(30);
  stream.stop();

  const result = await stream.done;
  // A slow provider slows the notification actor, never the intake.
  expect(result.refused).toEqual([]);
  expect(result.answers.every((a) => a.status === 202)).toBe(true);
  const r = await expectReconciledClean(deps, result);
  // Orders caught by the outage were sent again under the same key: one message each all the same.
  expect(r.resentKeys).toBeGreaterThan(0);
  expect(deployment.unexpectedExits()).toEqual([]);
});
