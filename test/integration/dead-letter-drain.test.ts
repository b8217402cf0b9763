// The failure batch job as the operator's CLI runs it: killed with SIGKILL in the middle of a run and
// run again, every dead letter is stored exactly once; a dead letter that comes back after it was
// stored (the job died between commit and ack) is not stored twice; only one runner drains at a
// time; and the other dead-letter commands print what the admin API answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { uniqueOrderId } from '../support/orders.js';
import { getJson, postJson, startSandbox, startTestService, type Sandbox, type TestService } from '../support/service-harness.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

let ctx: TestContext;
let sandbox: Sandbox;
let service: TestService;
let broker: Broker;
let queues: { business: string; notification: string; deadLetters: string };
const children = new Set<ChildProcess>();

beforeAll(async () => {
  ctx = await createTestContext('dead-letter-drain', {
    RETRY_DELAYS_MS: '100,200',
    MAX_ATTEMPTS: '3',
    DEAD_LETTER_BATCH_INTERVAL_MS: '0',
    ADMIN_TOKEN,
    // Nothing listens there: a webhook that cannot be reached must not fail the job.
    ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/alerts',
  });
  sandbox = await startSandbox();
  service = await startTestService(ctx, sandbox);
  broker = await openBroker(ctx);
  const prefix = ctx.config.QUEUE_PREFIX;
  queues = { business: `${prefix}.business`, notification: `${prefix}.notification`, deadLetters: `${prefix}.dead-letters` };
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await broker?.close();
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

function cliEnv(): Record<string, string> {
  const c = ctx.config;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    AMQP_URL: c.AMQP_URL,
    DATABASE_URL: c.DATABASE_URL,
    DATABASE_SCHEMA: c.DATABASE_SCHEMA,
    QUEUE_PREFIX: c.QUEUE_PREFIX,
    RETRY_DELAYS_MS: c.RETRY_DELAYS_MS.join(','),
    MAX_ATTEMPTS: String(c.MAX_ATTEMPTS),
    ALERT_WEBHOOK_URL: c.ALERT_WEBHOOK_URL ?? '',
  };
}

/** `order-actors dead-letters …` in a child process, as an operator runs it. */
function cli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/order-actors.ts', 'dead-letters', ...args], {
    cwd: REPO_ROOT,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, done };
}

async function runCli(args: string[]) {
  const result = await cli(args).done;
  if (result.code !== 0) throw new Error(`dead-letters ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function storedCount(prefix: string): Promise<number> {
  const row = await ctx.db
    .selectFrom('failed_messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('message_id', 'like', `${prefix}%`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Dead letters as the runtime writes them, published straight onto the dead-letter queue. */
async function deadLetters(prefix: string, count: number): Promise<void> {
  const now = new Date().toISOString();
  await broker.publishAll(
    queues.deadLetters,
    Array.from({ length: count }, (_, i) => ({
      body: JSON.stringify({ type: 'order.submitted', version: 1, order: { orderId: `${prefix}-${i}` } }),
      options: {
        contentType: 'application/json',
        messageId: `${prefix}-${i}`,
        headers: {
          'x-attempt': 1,
          'x-first-failed-at': now,
          'x-last-failed-at': now,
          'x-error-code': 'invalid_message',
          'x-error-message': `Message fails its contract: order.buyer: Required (order ${prefix}-${i})`,
          'x-error-class': 'permanent',
          'x-dead-letter-reason': 'permanent',
          'x-actor': 'business',
          'x-original-queue': queues.business,
          'x-original-routing-key': queues.business,
          'x-order-id': `${prefix}-${i}`,
        },
      },
    })),
  );
}

describe('the batch job killed in the middle of a run', () => {
  it('stores every dead letter exactly once when run again, and one runner drains at a time', { timeout: 120_000 }, async () => {
    const prefix = uniqueOrderId('K');
    const total = 5_000;
    await deadLetters(prefix, total);
    expect(await broker.depth(queues.deadLetters)).toBe(total);

    const first = cli(['drain', '--json']);
    await waitFor(async () => (await storedCount(prefix)) > 0, { what: 'the first batch to be stored', intervalMs: 5 });
    // While it runs, it holds the drain lock: the service's own drain takes nothing.
    const meanwhile = await postJson(service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN);
    expect(meanwhile.body).toMatchObject({ ran: false, stored: 0 });
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const storedBeforeKill = await storedCount(prefix);
    expect(storedBeforeKill).toBeLessThan(total);

    // Unacked messages went back to the queue when the process died; some may already be stored.
    const again = JSON.parse(await runCli(['drain', '--json'])) as { ran: boolean; stored: number; alreadyStored: number; remaining: number };
    expect(again).toMatchObject({ ran: true, remaining: 0 });
    expect(storedBeforeKill + again.stored).toBe(total);
    expect(await storedCount(prefix)).toBe(total);
    const distinct = await ctx.db.selectFrom('failed_messages').select('message_id').distinct().where('message_id', 'like', `${prefix}%`).execute();
    expect(distinct).toHaveLength(total);
    expect(await broker.depth(queues.deadLetters)).toBe(0);

    // On an empty queue the command stores nothing and exits 0.
    expect(JSON.parse(await runCli(['drain', '--json']))).toMatchObject({ ran: true, stored: 0, remaining: 0 });
  });
});

describe('dead letters whose headers PostgreSQL could not store as they are', () => {
  it('are stored with their values clamped, and the good ones around them too: the drain is never wedged', async () => {
    const prefix = uniqueOrderId('H');
    await deadLetters(`${prefix}-before`, 3);
    const hostile = [
      { 'x-attempt': 3e9 },
      { 'x-first-failed-at': '-200000-01-01T00:00:00.000Z', 'x-last-failed-at': '+275000-01-01T00:00:00.000Z' },
      { 'x-first-failed-at': -8.64e15, 'x-last-failed-at': 8.64e15 },
      { 'x-error-message': 'a\u0000b', 'x-order-id': '\u0000', 'x-actor': '\ud800' },
      { 'x-error-message': 'boom \u001b]0;owned\u0007\u001b[2J\u202e' },
    ];
    await broker.publishAll(
      queues.deadLetters,
      hostile.map((headers, i) => ({
        body: JSON.stringify({ type: 'order.submitted', version: 1 }),
        options: {
          contentType: 'application/json',
          messageId: `${prefix}-hostile-${i}`,
          headers: { 'x-error-code': 'invalid_message', 'x-dead-letter-reason': 'permanent', 'x-original-queue': queues.business, ...headers },
        },
      })),
    );
    await deadLetters(`${prefix}-after`, 3);

    expect(JSON.parse(await runCli(['drain', '--json']))).toMatchObject({ ran: true, stored: 11, remaining: 0 });
    expect(await storedCount(prefix)).toBe(11);
    const rows = await ctx.db
      .selectFrom('failed_messages')
      .select(['message_id', 'attempts', 'first_failed_at', 'last_failed_at'])
      .where('message_id', 'like', `${prefix}-hostile-%`)
      .orderBy('message_id')
      .execute();
    expect(rows.map((r) => r.attempts)).toEqual([2_147_483_647, 0, 0, 0, 0]);
    for (const r of rows) {
      expect(r.first_failed_at.getTime()).not.toBeNaN();
      expect(r.last_failed_at.getTime()).not.toBeNaN();
    }

    // An operator reading it in a terminal sees the escape sequences, and the terminal does not act on them.
    const { id } = await ctx.db.selectFrom('failed_messages').select('id').where('message_id', '=', `${prefix}-hostile-4`).executeTakeFirstOrThrow();
    const shown = await runCli(['show', String(id)]);
    expect(shown).toContain('boom \\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{202e}');
    for (const raw of ['\u001b', '\u0007', '\u202e']) expect(shown).not.toContain(raw);
  });
});

describe('a dead letter PostgreSQL refuses for a reason the drain did not foresee', () => {
  it('is stored raw (exact body, the error, no headers) and the dead letters around it as usual', async () => {
    const prefix = uniqueOrderId('U');
    // A real refusal by the database: this schema's table gets a rule that one dead letter breaks.
    await sql`alter table failed_messages add constraint refuses_one_letter check (error_code <> 'refused_by_schema')`.execute(ctx.db);
    try {
      await deadLetters(`${prefix}-before`, 2);
      const body = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x7d]);
      await broker.publish(queues.deadLetters, body, {
        messageId: `${prefix}-refused`,
        headers: { 'x-error-code': 'refused_by_schema', 'x-dead-letter-reason': 'permanent', 'x-original-queue': queues.business },
      });
      await deadLetters(`${prefix}-after`, 2);

      expect(JSON.parse(await runCli(['drain', '--json']))).toMatchObject({ ran: true, stored: 5, remaining: 0 });
      const rows = await ctx.db
        .selectFrom('failed_messages')
        .select(['message_id', 'error_code', 'error_message', 'body', 'headers'])
        .where('message_id', 'like', `${prefix}%`)
        .orderBy('message_id')
        .execute();
      expect(rows.map((r) => [r.message_id, r.error_code])).toEqual([
        [`${prefix}-after-0`, 'invalid_message'],
        [`${prefix}-after-1`, 'invalid_message'],
        [`${prefix}-before-0`, 'invalid_message'],
        [`${prefix}-before-1`, 'invalid_message'],
        [`${prefix}-refused`, 'unstorable_dead_letter'],
      ]);
      const raw = rows[4]!;
      expect(Buffer.compare(raw.body, body)).toBe(0);
      expect(raw.headers).toEqual({});
      expect(raw.error_message).toMatch(/refuses_one_letter/);
      expect(await broker.depth(queues.deadLetters)).toBe(0);
    } finally {
      await sql`alter table failed_messages drop constraint refuses_one_letter`.execute(ctx.db);
    }
  });
});

describe('a dead letter taken and returned over and over', () => {
  it("is parked once it passes the dead-letter queue's delivery limit, and the others stay", { timeout: 60_000 }, async () => {
    const own = await createTestContext('dead-letter-parking', {
      DEAD_LETTER_DELIVERY_LIMIT: '2',
      DEAD_LETTER_BATCH_INTERVAL_MS: '0',
      ADMIN_TOKEN,
      ROLE: 'intake',
    });
    const intake = await startTestService(own, sandbox);
    const raw = await openBroker(own);
    try {
      const dlq = `${own.config.QUEUE_PREFIX}.dead-letters`;
      const parked = `${dlq}.parked`;
      await raw.publish(dlq, JSON.stringify({ type: 'order.submitted', version: 1 }), {
        messageId: 'parked-1',
        headers: { 'x-dead-letter-reason': 'permanent' },
      });
      // A consumer that fails on it every time, as a batch job broken by it would.
      let returns = 0;
      while ((await raw.depth(dlq)) > 0 && returns < 10) {
        await raw.peek(dlq);
        returns += 1;
      }
      expect(returns).toBe(3);
      expect(await raw.depth(dlq)).toBe(0);
      await waitFor(async () => (await raw.depth(parked)) === 1, { what: 'the letter in the parking queue' });
      const [letter] = await raw.peek(parked);
      expect(letter!.properties.messageId).toBe('parked-1');
      expect(letter!.properties.headers).toMatchObject({ 'x-first-death-reason': 'delivery_limit', 'x-first-death-queue': dlq });

      // Dead letters after it are drained as usual; the parked one waits for an operator.
      await raw.publish(dlq, JSON.stringify({ type: 'order.submitted', version: 1 }), {
        messageId: 'after-parked',
        headers: { 'x-dead-letter-reason': 'permanent', 'x-error-code': 'invalid_message' },
      });
      expect((await postJson(intake.baseUrl, '/admin/dead-letters/drain', {}, ADMIN)).body).toMatchObject({ stored: 1, remaining: 0 });
      expect(await raw.depth(parked)).toBe(1);
    } finally {
      await raw.close();
      await intake.stop();
      await own.cleanup();
    }
  });
});

describe('a dead letter that comes back after it was stored', () => {
  it('is stored once: the redelivered copy is recognised and acked', async () => {
    const orderId = uniqueOrderId('R');
    await broker.publish(queues.notification, JSON.stringify({ type: 'notification.requested', version: 1, orderId }), {
      contentType: 'application/json',
      messageId: `redeliver-${orderId}`,
    });
    await waitFor(async () => (await broker.depth(queues.deadLetters)) === 1, { what: 'the dead letter' });
    const [letter] = await broker.peek(queues.deadLetters);

    expect((await postJson(service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN)).body).toMatchObject({ stored: 1, remaining: 0 });
    // The same dead letter again, as the queue hands it back when the job dies between commit and
    // ack (a quorum queue adds its delivery count).
    const { headers, ...properties } = letter!.properties;
    await broker.publish(queues.deadLetters, letter!.content, { ...properties, headers: { ...headers, 'x-delivery-count': 1 } });
    expect((await postJson(service.baseUrl, '/admin/dead-letters/drain', {}, ADMIN)).body).toMatchObject({ stored: 0, alreadyStored: 1, remaining: 0 });
    const rows = await getJson(service.baseUrl, `/admin/dead-letters?orderId=${orderId}`, ADMIN);
    expect(rows.body!.items).toEqual([expect.objectContaining({ messageId: `redeliver-${orderId}`, errorCode: 'invalid_message', actor: 'notification' })]);
  });
});

describe('the dead-letters commands', () => {
  // Seven runs of the CLI, each a fresh process: slow on a busy machine.
  it('list, group, show, discard and replay through the same use cases as the admin API', { timeout: 180_000 }, async () => {
    const prefix = uniqueOrderId('C');
    await deadLetters(prefix, 3);
    await runCli(['drain']);

    const page = JSON.parse(await runCli(['list', '--json', '--error-code', 'invalid_message', '--limit', '2'])) as {
      items: Array<{ id: number; status: string }>;
      nextCursor: string;
    };
    expect(page.items).toHaveLength(2);
    const api = await getJson(service.baseUrl, '/admin/dead-letters?errorCode=invalid_message&limit=2', ADMIN);
    expect(page).toEqual(api.body);
    const table = await runCli(['list', '--order-id', `${prefix}-0`]);
    expect(table.split('\n')[0]).toMatch(/^ID\s+STATUS\s+ACTOR\s+ERROR\s+ORDER/);
    expect(table).toContain(`${prefix}-0`);

    const groups = await runCli(['groups']);
    expect(groups).toMatch(/GROUP\s+ACTOR\s+ERROR\s+COUNT\s+OPEN/);
    expect(groups).toMatch(/business\s+invalid_message/);

    const [first, second] = (await getJson(service.baseUrl, `/admin/dead-letters?orderId=${prefix}-0`, ADMIN)).body!.items as Array<{ id: number }>;
    expect(second).toBeUndefined();
    const shown = JSON.parse(await runCli(['show', String(first!.id), '--json'])) as Record<string, unknown>;
    expect(shown).toEqual((await getJson(service.baseUrl, `/admin/dead-letters/${first!.id}`, ADMIN)).body);

    const [toDiscard] = (await getJson(service.baseUrl, `/admin/dead-letters?orderId=${prefix}-1`, ADMIN)).body!.items as Array<{ id: number }>;
    expect(JSON.parse(await runCli(['discard', String(toDiscard!.id), '--reason', 'known bad producer', '--by', 'lee', '--json']))).toMatchObject({
      status: 'discarded',
      discardedBy: 'lee',
      discardReason: 'known bad producer',
    });
    const refused = await cli(['discard', String(toDiscard!.id), '--reason', 'again']).done;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is discarded; only new ones can be discarded/);

    // Replayed to the business queue, it fails its contract again and comes back linked to its row.
    expect(await runCli(['replay', String(first!.id), '--by', 'lee'])).toMatch(
      new RegExp(`^replayed ${first!.id} to ${queues.business.replace(/\./g, '\\.')}`),
    );
    await waitFor(async () => (await broker.depth(queues.deadLetters)) === 1, { what: 'the replayed message to fail again' });
    const [back] = await broker.peek(queues.deadLetters);
    expect(back!.properties.headers).toMatchObject({ 'x-replay-of': first!.id, 'x-attempt': 1, 'x-error-code': 'invalid_message' });
    const row = await getJson(service.baseUrl, `/admin/dead-letters/${first!.id}`, ADMIN);
    expect(row.body).toMatchObject({ status: 'replayed', replayedBy: 'lee' });
  });
});

describe('a message the broker dead-letters itself', () => {
  it("is stored with what x-death tells when it outlives the work queue's delivery limit", { timeout: 120_000 }, async () => {
    // An intake-only process: nothing consumes the business queue but this test, which plays a
    // consumer that crashes on the message again and again.
    const own = await createTestContext('dead-letter-limit', { QUEUE_DELIVERY_LIMIT: '2', DEAD_LETTER_BATCH_INTERVAL_MS: '0', ADMIN_TOKEN, ROLE: 'intake' });
    const intake = await startTestService(own, sandbox);
    const raw = await openBroker(own);
    try {
      const prefix = own.config.QUEUE_PREFIX;
      const orderId = uniqueOrderId('L');
      await raw.publish(`${prefix}.business`, JSON.stringify({ type: 'order.submitted', version: 1, order: { orderId } }), {
        contentType: 'application/json',
        messageId: `limit-${orderId}`,
        headers: { 'x-order-id': orderId },
      });
      await waitFor(
        async () => {
          const [m] = await raw.peek(`${prefix}.business`);
          return m === undefined && (await raw.depth(`${prefix}.dead-letters`)) === 1;
        },
        { what: 'the broker to dead-letter the message', intervalMs: 20 },
      );

      const [letter] = await raw.peek(`${prefix}.dead-letters`);
      expect(letter!.properties.headers).toMatchObject({ 'x-first-death-reason': 'delivery_limit', 'x-first-death-queue': `${prefix}.business` });
      expect((await postJson(intake.baseUrl, '/admin/dead-letters/drain', {}, ADMIN)).body).toMatchObject({
        stored: 1,
        byCause: [{ actor: 'business', errorCode: 'broker_delivery_limit', count: 1 }],
      });
      const [row] = (await getJson(intake.baseUrl, `/admin/dead-letters?orderId=${orderId}`, ADMIN)).body!.items as Array<Record<string, unknown>>;
      expect(row).toMatchObject({
        actor: 'business',
        errorClass: 'broker',
        deadLetterReason: 'delivery_limit',
        originalQueue: `${prefix}.business`,
        messageId: `limit-${orderId}`,
      });
      expect(row!.errorMessage).toMatch(/consumer probably crashed/);
    } finally {
      await raw.close();
      await intake.stop();
      await own.cleanup();
    }
  });
});
