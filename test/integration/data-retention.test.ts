// Data kept no longer than needed, as an operator checks it: dead letters lose the buyer's name,
// phone and address once DEAD_LETTER_PII_DAYS old (in the body bytes, the parsed body and the
// headers; a body that is not JSON as a whole), a masked one is never replayed (409 pii_masked over
// REST, the same reason from the CLI, skipped by a bulk replay), and dead letters and journal
// entries past their retention are deleted in bounded batches. Each run's work is in the audit.
// Time is driven by the rows' own timestamps; the step runs as the batch job runs it.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetentionJob, retentionSettings, type RetentionJob } from '../../src/data-retention/retention-job.js';
import { createRetentionRunRepository } from '../../src/data-retention/retention-run-repository.js';
import { drainLockName } from '../../src/dead-letters/dead-letter-drainer.js';
import { createFailedMessageRepository } from '../../src/dead-letters/failed-message-repository.js';
import { createFailedMessageRetention } from '../../src/dead-letters/failed-message-retention.js';
import { MASKED } from '../../src/dead-letters/personal-data-mask.js';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { createOrderRepository } from '../../src/orders/order-repository.js';
import { runCli } from '../support/cli.js';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder, uniqueOrderId } from '../support/orders.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const PERSONAL = /Kim Minji|\+821012345678|Sejong|Seoul|04524/;

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let broker: Broker;
let job: RetentionJob;
/** Row ids of the stored dead letters, by what they are. */
const ids = { confirmation: 0, badOrder: 0, garbage: 0, young: 0 };
const confirmed = makeOrder();
const badOrder = makeOrder();
const youngOrder = makeOrder();

type Detail = {
  id: number;
  status: string;
  piiMaskedAt: string | null;
  headers: Record<string, unknown>;
  body: { base64: string; json?: unknown; text?: string };
};
const show = async (id: number) => (await getJson(service.baseUrl, `/admin/dead-letters/${id}`, ADMIN)).body as Detail;

/** What PostgreSQL holds for a row, as one string: the body bytes, the parsed body and the headers. */
async function stored(id: number): Promise<string> {
  const row = await ctx.db.selectFrom('failed_messages').select(['body', 'body_json', 'headers']).where('id', '=', id).executeTakeFirstOrThrow();
  return `${row.body.toString('utf8')} ${JSON.stringify(row.body_json)} ${JSON.stringify(row.headers)}`;
}

/** Moves rows' last failure to `days` ago, as if they had waited that long. */
async function age(rowIds: number[], days: number): Promise<void> {
  await sql`update failed_messages set last_failed_at = now() - make_interval(days => ${days}) where id = any(${rowIds}::bigint[])`.execute(ctx.db);
}

async function auditOf(step: string) {
  const res = await getJson(service.baseUrl, '/admin/retention/runs', ADMIN);
  expect(res.status).toBe(200);
  return (res.body!.runs as Array<{ step: string; rows: number; batches: number; cutoff: string; finished: boolean; at: string }>).filter(
    (r) => r.step === step,
  );
}

beforeAll(async () => {
  ctx = await createTestContext('data-retention', { DEAD_LETTER_BATCH_INTERVAL_MS: '0', ADMIN_TOKEN, RETRY_DELAYS_MS: '100', MAX_ATTEMPTS: '2' });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  broker = await openBroker(ctx);
  // The step as the batch job builds it, with small batches so that batching shows.
  job = createRetentionJob({
    db: ctx.db,
    lockName: drainLockName(`${ctx.config.QUEUE_PREFIX}.dead-letters`),
    locks: createFailedMessageRepository(),
    failedMessages: createFailedMessageRetention(),
    orders: createOrderRepository(),
    runs: createRetentionRunRepository(),
    settings: retentionSettings(ctx.config),
    logger: ctx.logger,
    maskBatch: 2,
    deadLetterDeleteBatch: 1,
    journalDeleteBatch: 3,
    maxBatchesPerStep: 2,
  });

  // A confirmation the messaging API refuses, an order that fails its contract (with a producer's
  // header copying the phone), bytes that are not JSON, and a second bad order that stays young.
  sandbox.setMode({ mode: 'reject' });
  expect((await postJson(service.baseUrl, '/orders', confirmed)).status).toBe(202);
  const business = `${ctx.config.QUEUE_PREFIX}.business`;
  for (const order of [badOrder, youngOrder]) {
    const body = JSON.stringify({ ...orderSubmitted(order), channel: 'fax' });
    await broker.publish(business, body, { contentType: 'application/json', headers: { 'x-order-id': order.orderId, 'x-buyer-phone': order.buyer.phone } });
  }
  await broker.publish(business, 'Kim Minji, +821012345678, 12 Sejong-daero', { contentType: 'application/json', messageId: `garbage-${ctx.id}` });

  type Row = { id: number; errorCode: string; orderId: string | null };
  let rows: Row[] = [];
  await waitFor(
    async () => {
      await postJson(service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN);
      rows = (await getJson(service.baseUrl, '/admin/dead-letters?limit=50', ADMIN)).body!.items as Row[];
      return rows.length === 4;
    },
    { what: 'four failures stored', timeoutMs: 60_000 },
  );
  ids.confirmation = rows.find((r) => r.errorCode === 'provider_rejected')!.id;
  ids.badOrder = rows.find((r) => r.orderId === badOrder.orderId)!.id;
  ids.young = rows.find((r) => r.orderId === youngOrder.orderId)!.id;
  ids.garbage = rows.find((r) => r.errorCode === 'invalid_json')!.id;
});

afterAll(async () => {
  await broker?.close();
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

describe('personal data in dead letters', () => {
  it('is kept until DEAD_LETTER_PII_DAYS have passed since the last failure', async () => {
    await age([ids.confirmation, ids.badOrder, ids.garbage], 29);
    expect((await job.run()).ran).toBe(true);
    for (const id of Object.values(ids)) {
      expect(await stored(id)).toMatch(PERSONAL);
      expect((await show(id)).piiMaskedAt).toBeNull();
    }
    expect(await auditOf('dead_letter_pii_masked')).toEqual([]);
  });

  it('is masked after that, in the body bytes, the parsed body and the headers, and the run is audited', async () => {
    await age([ids.confirmation, ids.badOrder, ids.garbage], 31);
    const started = Date.now();
    const report = await job.run();
    expect(report.steps.find((s) => s.step === 'dead_letter_pii_masked')).toMatchObject({ rows: 3, batches: 2, finished: true });

    for (const id of [ids.confirmation, ids.badOrder, ids.garbage]) {
      expect(await stored(id)).not.toMatch(PERSONAL);
      expect(Date.parse((await show(id)).piiMaskedAt!)).toBeGreaterThanOrEqual(started - 1_000);
    }
    const confirmation = await show(ids.confirmation);
    expect(confirmation.body.json).toMatchObject({
      type: 'notification.requested',
      orderId: confirmed.orderId,
      to: MASKED,
      params: { buyerName: MASKED, orderId: confirmed.orderId },
    });
    expect(JSON.parse(Buffer.from(confirmation.body.base64, 'base64').toString('utf8'))).toEqual(confirmation.body.json);
    const order = await show(ids.badOrder);
    expect(order.body.json).toMatchObject({
      order: { orderId: badOrder.orderId, buyer: { id: badOrder.buyer.id, name: MASKED, phone: MASKED }, shippingAddress: { line1: MASKED, city: MASKED } },
    });
    expect(order.headers).toMatchObject({ 'x-order-id': badOrder.orderId, 'x-buyer-phone': MASKED, 'x-error-code': 'invalid_message' });
    expect((await show(ids.garbage)).body).toMatchObject({ text: MASKED });

    // The young one is untouched.
    expect(await stored(ids.young)).toMatch(PERSONAL);
    expect((await show(ids.young)).piiMaskedAt).toBeNull();

    const [audit] = await auditOf('dead_letter_pii_masked');
    expect(audit).toMatchObject({ rows: 3, batches: 2, finished: true });
    expect(Math.abs(Date.parse(audit!.cutoff) - (started - 30 * 86_400_000))).toBeLessThan(60_000);
    // A second run finds nothing more to mask and records nothing.
    await job.run();
    expect(await auditOf('dead_letter_pii_masked')).toHaveLength(1);
  });

  it('cannot be replayed once masked: 409 pii_masked says why and what to do, and nothing is sent', async () => {
    sandbox.setMode({ mode: 'ok' });
    const sent = sandbox.messages().length;
    const res = await postJson(service.baseUrl, `/admin/dead-letters/${ids.confirmation}/replay`, {}, ADMIN);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'pii_masked' });
    expect(res.body!.message).toMatch(/personal data was masked.*DEAD_LETTER_PII_DAYS.*resubmits the order.*discard/);
    expect((await show(ids.confirmation)).status).toBe('new');
    await new Promise((r) => setTimeout(r, 500));
    expect(sandbox.messages().length).toBe(sent);
  });

  it('is refused with the same reason from the CLI', async () => {
    const { code, stderr } = await runCli(ctx.config, ['dead-letters', 'replay', String(ids.badOrder)]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`Failed message ${ids.badOrder} cannot be replayed: its buyer's personal data was masked`));
  }, 60_000);

  it('is skipped by a bulk replay, which replays the rest and lists the masked ones', async () => {
    const res = await postJson(
      service.baseUrl,
      '/admin/dead-letters/replay',
      { filter: { actor: 'business', errorCode: 'invalid_message' }, probeWaitMs: 5_000 },
      ADMIN,
    );
    expect(res.status).toBe(200);
    // The young bad order is replayed and fails its contract again; the masked one is not touched.
    expect(res.body).toMatchObject({ replayed: [ids.young], masked: [ids.badOrder] });
    expect(res.body!.message).toMatch(/1 matching message\(s\) were skipped because their personal data was masked/);
    expect((await show(ids.badOrder)).status).toBe('new');
    const onlyMasked = await postJson(service.baseUrl, '/admin/dead-letters/replay', { filter: { errorCode: 'invalid_json' } }, ADMIN);
    expect(onlyMasked.body).toMatchObject({ outcome: 'nothing_to_replay', replayed: [], masked: [ids.garbage] });
  });
});

describe('retention', () => {
  it('deletes failed messages past DEAD_LETTER_RETENTION_DAYS, whatever their status, and keeps younger ones', async () => {
    await age([ids.garbage, ids.confirmation], 91);
    await age([ids.badOrder], 89);
    const report = await job.run();
    expect(report.steps.find((s) => s.step === 'dead_letters_deleted')).toMatchObject({ rows: 2, batches: 2, finished: false });
    const left = await ctx.db.selectFrom('failed_messages').select('id').where('id', 'in', Object.values(ids)).execute();
    expect(left.map((r) => Number(r.id)).sort()).toEqual([ids.badOrder, ids.young].sort());
    expect((await getJson(service.baseUrl, `/admin/dead-letters/${ids.garbage}`, ADMIN)).status).toBe(404);
    expect(await auditOf('dead_letters_deleted')).toEqual([expect.objectContaining({ rows: 2, batches: 2, finished: false })]);
    // A run stopped at its batch limit is not finished; the next finds nothing more.
    expect((await job.run()).steps.find((s) => s.step === 'dead_letters_deleted')).toMatchObject({ rows: 0, finished: true });
  });

  it('deletes journal entries past ORDER_JOURNAL_RETENTION_DAYS in bounded batches, the next run going on where one stopped', async () => {
    const orderId = uniqueOrderId('J');
    const entry = (days: number, n: number) =>
      sql`insert into order_journal_entries (order_id, at, actor, event, detail)
          select ${orderId}, now() - make_interval(days => ${days}), 'business', 'order.conflict_rejected', '{}'::jsonb from generate_series(1, ${n})`.execute(
        ctx.db,
      );
    await entry(181, 7);
    await entry(179, 2);
    const count = async () =>
      Number(
        (
          await ctx.db
            .selectFrom('order_journal_entries')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('order_id', '=', orderId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    // Two batches of three per run: six go, the run says it is not finished, the next takes the last.
    expect((await job.run()).steps.find((s) => s.step === 'order_journal_deleted')).toMatchObject({ rows: 6, batches: 2, finished: false });
    expect(await count()).toBe(3);
    expect((await job.run()).steps.find((s) => s.step === 'order_journal_deleted')).toMatchObject({ rows: 1, batches: 1, finished: true });
    expect(await count()).toBe(2);
    const audit = await auditOf('order_journal_deleted');
    expect(audit.map((a) => [a.rows, a.finished])).toEqual([
      [1, true],
      [6, false],
    ]);
  });

  it('does nothing while another runner holds the batch job lock', async () => {
    const conn = await ctx.db.connection().execute(async (q) => {
      const locks = createFailedMessageRepository();
      const name = drainLockName(`${ctx.config.QUEUE_PREFIX}.dead-letters`);
      expect(await locks.tryDrainLock(q, name)).toBe(true);
      try {
        return await job.run();
      } finally {
        await locks.releaseDrainLock(q, name);
      }
    });
    expect(conn).toEqual({ ran: false, steps: [] });
  });
});
