// Scenario 3, the moment the system exists for: N stored orders of one seller due the same day, one
// POST /delivery-delays, and the time until the last buyer is told. Skipped (reported as not
// available) while the service has no such route.
import { idempotencyKey } from '../src/notifications/notification-messages.js';
import { createDb, type Db } from '../src/platform/db.js';
import { createLogger } from '../src/platform/logger.js';
import { freePort } from '../test/support/free-port.js';
import { storeOrderRows } from '../test/support/stored-orders.js';
import type { BenchConfig } from './bench-config.js';
import { benchNames, removeBenchResources } from './bench-isolation.js';
import { benchOrder } from './bench-orders.js';
import { fetchSandboxMessages, sandboxCount, waitForBuyersTold, type SandboxCalls } from './delivery-progress.js';
import { processTargets, sharedServiceTargets, startCpuMeter, type CpuReport } from './process-stats.js';
import { startServiceProcess, type ServiceProcess } from './service-processes.js';
import { checkBuyersTold, checkQueues, newVerification, settle, type Verification } from './verify.js';

const DUE = '2026-12-01';
const NEW_DATE = '2026-12-03';

export type DelayResult =
  | { available: false; reason: string }
  | {
      available: true;
      orders: number;
      /** Orders of a smaller delay told before the measured one (verified with it, not measured). */
      warmedUp: number;
      /** How long POST /delivery-delays took to answer 202. */
      answerMs: number;
      /** From sending the POST to the last buyer told at the sandbox. */
      seconds: number;
      /** From sending the POST to the first buyer told, and to half of them told. */
      firstToldSeconds: number | undefined;
      halfToldSeconds: number | undefined;
      /** From sending the POST to the fan-out recording itself finished (every business message confirmed before). */
      fannedOutSeconds: number | undefined;
      noticesPerSecond: number;
      told: number;
      peakRssMb: number | undefined;
      cpu: CpuReport;
      sandbox: SandboxCalls;
      verification: Verification;
      cleanupProblems: string[];
    };

/** Stores the seller's orders directly, as the business actor would have, in chunks of one statement each. */
async function seedOrders(db: Db, runId: string, sellerId: string, count: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let start = 0; start < count; start += 1_000) {
    const chunk = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => benchOrder(runId, start + i, { sellerId, requestedDeliveryDate: DUE }));
    await storeOrderRows(db, chunk, runId);
    for (const o of chunk) ids.add(o.orderId);
  }
  return ids;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/**
 * A smaller delay (BENCH_WARMUP_ORDERS orders of another seller) told first, so that the measured
 * one runs on warm processes, as in scenarios 2, 4 and 6.
 */
async function warmUp(
  config: BenchConfig,
  db: Db,
  baseUrl: string,
  sandboxUrl: string,
  runId: string,
): Promise<{ delayId: string | undefined; orderIds: Set<string>; told: number }> {
  if (config.BENCH_WARMUP_ORDERS === 0) return { delayId: undefined, orderIds: new Set(), told: 0 };
  const sellerId = `seller-${runId}`;
  const orderIds = await seedOrders(db, runId, sellerId, config.BENCH_WARMUP_ORDERS);
  const answer = await postJson(`${baseUrl}/delivery-delays`, { sellerId, requestedDeliveryDate: DUE, newDeliveryDate: NEW_DATE, reason: 'warm-up' });
  if (answer.status !== 202) throw new Error(`The warm-up delay was answered ${answer.status} ${JSON.stringify(answer.body)}; see the service log`);
  const told = await waitForBuyersTold(db, sandboxUrl, {
    kind: 'delivery-delayed',
    expected: orderIds.size,
    stallMs: config.BENCH_STALL_TIMEOUT_MS,
    label: 'scenario 3 warm-up',
  });
  return { delayId: String(answer.body.delayId), orderIds, told };
}

export async function runDeliveryDelayScenario(config: BenchConfig): Promise<DelayResult> {
  const names = benchNames('delay', config);
  const logger = createLogger({ level: 'warn', name: 'bench' });
  const { db } = createDb({ url: config.service.DATABASE_URL, schema: names.schema, poolSize: 2, statementTimeoutMs: 120_000 }, logger);
  let service: ServiceProcess | undefined;
  let sandbox: ServiceProcess | undefined;
  let result: Exclude<DelayResult, { available: false }> | undefined;
  let cleanupProblems: string[] = [];
  try {
    const sandboxPort = await freePort();
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    // The messaging API is a third party: its stand-in runs in its own process, not counted as ours.
    sandbox = await startServiceProcess({
      config,
      name: 'delay-sandbox',
      role: 'sandbox',
      env: { ...names.env, SANDBOX_PORT: String(sandboxPort), NOTIFY_API_URL: '' },
    });
    service = await startServiceProcess({
      config,
      name: 'delay-all',
      role: 'all',
      env: { ...names.env, NOTIFY_API_URL: sandboxUrl },
    });
    const baseUrl = `http://127.0.0.1:${service.port}`;
    // An invalid body tells a missing route (404) from an existing one (400) without side effects.
    const probe = await postJson(`${baseUrl}/delivery-delays`, {});
    if (probe.status === 404) return { available: false, reason: 'POST /delivery-delays answers 404' };

    const warmup = await warmUp(config, db, baseUrl, sandboxUrl, `${names.id}w`);
    const sellerId = `seller-${names.id}`;
    const count = config.BENCH_ORDERS;
    const orderIds = await seedOrders(db, names.id, sellerId, count);

    const callsBefore = (await sandboxCount(sandboxUrl)).requests;
    const cpu = startCpuMeter([...sharedServiceTargets(), ...processTargets([service, sandbox])]);
    const startedAt = Date.now();
    const answer = await postJson(`${baseUrl}/delivery-delays`, { sellerId, requestedDeliveryDate: DUE, newDeliveryDate: NEW_DATE, reason: 'heavy rain' });
    const answerMs = Date.now() - startedAt;
    const verification = newVerification();
    const delayId = String(answer.body.delayId);
    if (answer.status !== 202 || answer.body.orders !== count) {
      verification.problems.push(`POST /delivery-delays answered ${answer.status} ${JSON.stringify(answer.body)}; expected 202 with orders: ${count}`);
    } else {
      await waitForBuyersTold(db, sandboxUrl, {
        kind: 'delivery-delayed',
        expected: warmup.told + count,
        stallMs: config.BENCH_STALL_TIMEOUT_MS,
        label: 'scenario 3',
      });
    }
    const cpuReport = cpu.stop();
    const sandboxCalls = { name: sandbox.name, calls: (await sandboxCount(sandboxUrl)).requests - callsBefore };
    const peakRssMb = service.peakRssMb();

    const all = (await fetchSandboxMessages(sandboxUrl)).filter((m) => m.idempotencyKey.startsWith('delivery-delayed:'));
    const messages = all.filter((m) => m.idempotencyKey.endsWith(`:${delayId}`));
    await checkBuyersTold(db, messages, { kind: 'delivery-delayed', orderIds, keyOf: (id) => idempotencyKey('delivery-delayed', id, delayId) }, verification);
    if (warmup.delayId) {
      const warm = all.filter((m) => m.idempotencyKey.endsWith(`:${warmup.delayId}`));
      await checkBuyersTold(
        db,
        warm,
        { kind: 'delivery-delayed', orderIds: warmup.orderIds, keyOf: (id) => idempotencyKey('delivery-delayed', id, warmup.delayId) },
        verification,
      );
      if (warm.length + messages.length !== all.length)
        verification.problems.push(`${all.length - warm.length - messages.length} delay notices belong to neither the warm-up nor the measured delay`);
    }
    const wrongDates = messages.filter((m) => m.params.previousDeliveryDate !== DUE || m.params.newDeliveryDate !== NEW_DATE);
    if (wrongDates.length > 0)
      verification.problems.push(`${wrongDates.length} delay notices do not say ${DUE} → ${NEW_DATE} (params previousDeliveryDate, newDeliveryDate)`);
    const moved = await db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('seller_id', '=', sellerId)
      .where('delivery_date', '=', NEW_DATE)
      .executeTakeFirstOrThrow();
    if (Number(moved.n) !== count) verification.problems.push(`${count - Number(moved.n)} orders still have their old delivery date`);
    await checkQueues(config, names, verification);

    const delayRow = await db.selectFrom('delivery_delays').select('published_at').where('delay_id', '=', delayId).executeTakeFirst();
    const fannedOutSeconds = delayRow?.published_at ? (delayRow.published_at.getTime() - startedAt) / 1000 : undefined;
    const toldAt = messages.map((m) => Date.parse(m.receivedAt)).sort((a, b) => a - b);
    const after = (at: number | undefined) => (at === undefined ? undefined : (at - startedAt) / 1000);
    const seconds = after(toldAt.at(-1)) ?? 0;
    result = {
      available: true,
      orders: count,
      warmedUp: warmup.orderIds.size,
      answerMs,
      seconds,
      firstToldSeconds: after(toldAt[0]),
      halfToldSeconds: after(toldAt[Math.floor((toldAt.length - 1) / 2)]),
      fannedOutSeconds,
      noticesPerSecond: messages.length / seconds,
      told: messages.length,
      peakRssMb,
      cpu: cpuReport,
      sandbox: sandboxCalls,
      verification: settle(verification),
      cleanupProblems: [],
    };
  } finally {
    await service?.stop();
    await sandbox?.stop();
    await db.destroy();
    cleanupProblems = await removeBenchResources(names, config);
  }
  return { ...result, cleanupProblems };
}
