// The intake's early check of who holds an order id, against PostgreSQL: right answers under many
// lookups at once, gathered into few queries, and "unknown" within its deadline when the database
// does not answer, so that intake goes on accepting orders.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOrderOwners } from '../../src/orders/order-owners.js';
import { createDb, type Db } from '../../src/platform/db.js';
import { migrateToLatest } from '../../src/platform/migrate.js';
import { storeOrders } from '../support/stored-orders.js';
import { createTestContext, type TestContext } from '../support/test-context.js';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext('order-owners');
  await migrateToLatest(ctx.db, ctx.config.DATABASE_SCHEMA);
});

afterAll(async () => {
  await ctx?.cleanup();
});

/** The test's database with every statement counted. */
function countingDb(db: Db): { db: Db; statements: () => number } {
  let statements = 0;
  const counted = db.withPlugin({
    transformQuery: (args) => {
      statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return { db: counted, statements: () => statements };
}

it('answers each id with its seller (or unknown) and sends lookups made together as few queries', async () => {
  const stored = await storeOrders(ctx.db, { idPrefix: `${ctx.id}-o`, count: 300 });
  const seller = (await ctx.db.selectFrom('orders').select('seller_id').where('order_id', '=', stored[0]!).executeTakeFirstOrThrow()).seller_id;
  const { db, statements } = countingDb(ctx.db);
  const owners = createOrderOwners(db, ctx.logger);

  // 600 lookups, half of stored ids and half of new ones, as requests arriving one per event-loop turn.
  const ids = stored.flatMap((id, i) => [id, `${ctx.id}-new-${i}`]);
  const pending: Array<Promise<string | undefined>> = [];
  for (const id of ids) {
    pending.push(owners.sellerOf(id));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const answers = await Promise.all(pending);

  expect(answers).toEqual(ids.map((id) => (id.includes('-new-') ? undefined : seller)));
  // One query per turn would be 600; the ids that arrive while a query runs wait and go out together.
  expect(statements()).toBeLessThan(100);
});

it('answers "unknown" within its deadline while PostgreSQL holds the lookup, and pauses lookups after that', async () => {
  const [id] = await storeOrders(ctx.db, { idPrefix: `${ctx.id}-held`, count: 1 });
  const { db: locker, pool } = createDb(
    { url: ctx.config.DATABASE_URL, schema: ctx.config.DATABASE_SCHEMA, poolSize: 1, statementTimeoutMs: 30_000 },
    ctx.logger,
  );
  const owners = createOrderOwners(ctx.db, ctx.logger);
  try {
    // An exclusive lock on the table makes every read of it wait, as a stuck database would.
    await locker.transaction().execute(async (trx) => {
      await sql`lock table orders in access exclusive mode`.execute(trx);
      const started = Date.now();
      const answers = await Promise.all([owners.sellerOf(id!), owners.sellerOf(`${ctx.id}-other`)]);
      expect(answers).toEqual([undefined, undefined]);
      expect(Date.now() - started).toBeLessThan(2_000);
      // Paused: the next lookup does not even wait.
      const again = Date.now();
      expect(await owners.sellerOf(id!)).toBeUndefined();
      expect(Date.now() - again).toBeLessThan(100);
    });
  } finally {
    await locker.destroy();
    await pool.end().catch(() => undefined);
  }
});
