// PostgreSQL crash-restarted (pg_ctl -m immediate, on a private cluster) in the middle of a stream:
// no service process dies of it, the work that failed goes through the retry tiers and succeeds once
// the database is back, nothing is dead-lettered as permanent, and every order that got a 202 is
// stored and told to its buyer exactly once.
import pg from 'pg';
import { expect, it, onTestFailed } from 'vitest';
import { sleep } from '../support/wait-for.js';
import { faultsForThisFile } from './support/fault-context.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.js';

let postgres: PrivatePostgres;
const file = faultsForThisFile('pg-restart', async () => {
  postgres = await startPrivatePostgres('restart');
  return { databaseUrl: postgres.url, remove: () => postgres.remove() };
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
  await client.query(`lock table ${file.ctx.config.DATABASE_SCHEMA}.orders in access exclusive mode`);
  return client;
}

it('PostgreSQL crash-restarted twice mid-stream, once with transactions in flight: no process dies, failed work is retried, nothing lost, doubled or dead-lettered', async () => {
  onTestFailed(async () => console.log('--- postgres ---\n', (await postgres.log()).slice(-3_000)));
  const stream = file.stream('p', { count: 400, ratePerSecond: 30 });

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
  await file.expectRecoveredClean(result);
});
