// A flip made with zkCli.sh while the switch audit cannot take rows (its table locked against
// writes by another session, as during a long migration or a database in trouble): the process
// serves the new value at once, and the audit gets the change once the table takes writes again.
// A change missing from the audit would matter later: a process that starts while ZooKeeper is
// away serves the audit's last values.
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startService, type RunningService } from '../../src/bin/start-service.js';
import { startSandbox, type Sandbox } from '../support/service-harness.js';
import { ADMIN_TOKEN, switchValue } from '../support/switch-admin.js';
import { createTestContext, type TestContext } from '../support/test-context.js';
import { waitFor } from '../support/wait-for.js';
import { zkCliSet } from '../support/zookeeper.js';

const SWITCH = 'order-rules-v2';

let ctx: TestContext;
let sandbox: Sandbox;
let service: RunningService;
let baseUrl: string;
const lines: string[] = [];

beforeAll(async () => {
  // Statements give up quickly, so an insert blocked by the lock fails within the test's time.
  ctx = await createTestContext('switch-audit-retry', { ADMIN_TOKEN, DATABASE_STATEMENT_TIMEOUT_MS: '500' });
  sandbox = await startSandbox();
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  service = await startService(ctx.configWith({ ROLE: 'intake', NOTIFY_API_URL: sandbox.url }), logger);
  baseUrl = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await service?.stop();
  await sandbox?.close();
  await ctx?.cleanup();
});

const audited = async (value: string) =>
  (await ctx.db.selectFrom('switch_changes').select('id').where('switch_name', '=', SWITCH).where('new_value', '=', value).execute()).length;

it('records a change it could not record at first, once, when the audit takes writes again', async () => {
  const locker = new pg.Client({ connectionString: ctx.config.DATABASE_URL });
  await locker.connect();
  try {
    // SHARE mode blocks inserts and leaves reads alone, so the admin API still answers.
    await locker.query('begin');
    await locker.query(`lock table "${ctx.config.DATABASE_SCHEMA}".switch_changes in share mode`);

    await zkCliSet(ctx.config.ZK_CONNECT, `${ctx.config.ZK_ROOT}/switches/${SWITCH}`, '40');
    await waitFor(async () => (await switchValue(baseUrl, SWITCH)) === 40, { what: 'the service to serve 40' });
    await waitFor(() => lines.some((l) => l.includes('could not record an observed switch change; retrying')), { what: 'the failed insert to be retried' });
    expect(await audited('40')).toBe(0);

    await locker.query('commit');
    await waitFor(async () => ((await audited('40')) === 1 ? true : undefined), { what: 'the change to reach the audit', timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await audited('40')).toBe(1);
  } finally {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
  }
});
