// PostgreSQL crash-restarted (pg_ctl -m immediate, on a private cluster) in the middle of a stream:
// no service process dies of it, the work that failed goes through the retry tiers and succeeds once
// the database is back, nothing is dead-lettered as permanent, and every order that got a 202 is
// stored and told to its buyer exactly once.
import pg from 'pg';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { createFaultContext, type FaultContext } from './support/fault-context.js';
import { startOrderStream } from './support/order-stream.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';
import { expectReconciledClean, type ReconcileDeps } from './support/reconcile.js';
import { startDeployment, type Deployment } from './support/service-process.js';

let postgres: PrivatePostgres;
let ctx: FaultContext;
let deployment: Deployment;
let deps: ReconcileDeps;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  postgres = await startPrivatePostgres('restart');
  ctx = await createFaultContext('pg-restart', { databaseUrl: postgres.url });
  deps = { db: ctx.db, sandbox: ctx.sandbox, amqpUrl: ctx.amqpUrl, topology: ctx.topology };
  deployment = await startDeployment(ctx.env);
});

afterAll(async () => {
  await deployment?.stop();
  await ctx?.cleanup();
  await postgres?.remove();
});

/**
 * Takes an exclusive lock on the orders table from a session of our own, so the business actor's
 * transactions wait inside PostgreSQL, their connections checked out of the pool: a crash then
 * lands on connections in use, not only on idle ones.
 */
async function lockOrdersTable(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: postgres.url });
  // This session dies with the server; that is the point.
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  await client.query(`lock table ${ctx.config.DATABASE_SCHEMA}.orders in access exclusive mode`);
  return client;
}

it('PostgreSQL crash-restarted twice mid-stream, once with transactions in flight: no process dies, failed work is retried, nothing lost, doubled or dead-lettered', async () => {
  onTestFailed(async () => console.log(deployment.tail(40), '\n--- postgres ---\n', (await postgres.log()).slice(-3_000)));
  const stream = startOrderStream({ intakeUrl: deployment.intakeUrl, idPrefix: `${ctx.id}-p`, count: 400, ratePerSecond: 30 });

  await stream.acceptedMore(40);
  await stream.slowedDuring(() => postgres.restart('immediate', 2_000));

  await stream.acceptedMore(40);
  const lock = await lockOrdersTable();
  await sleep(1_000);
  await stream.slowedDuring(() => postgres.restart('immediate', 1_000));
  await lock.end().catch(() => undefined);
  await stream.acceptedMore(40);
  stream.stop();

  const result = await stream.done;
  expect(result.refused).toEqual([]);
  await deployment.waitUntilReady();
  await expectReconciledClean(deps, result);
  expect(deployment.unexpectedExits()).toEqual([]);
});
