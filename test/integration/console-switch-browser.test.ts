// Switches in the operator console, in a real browser: schedule a flip and see it happen, then arm
// the rollback guard on the template switch, roll the new template out, and watch the guard flip it
// back when the messaging API refuses that template.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../src/platform/runtime-switches/bucketing.js';
import { hasChromium, openConsoleBrowser, warnIfNoBrowser, type ConsoleBrowser } from '../support/console-browser.js';
import { ADMIN, ADMIN_TOKEN } from '../support/dead-letters.js';
import { between, submitAll } from '../support/order-traffic.js';
import { getJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

warnIfNoBrowser('console-switch-browser.test.ts');
const SWITCH = 'notification-template-v2';

describe.skipIf(!hasChromium)('switches in the console, in a browser', () => {
  const file = serviceForThisFile('console-switch-browser', {
    ADMIN_TOKEN,
    SWITCH_GUARD_INTERVAL_MS: '250',
    SWITCH_SCHEDULE_POLL_MS: '250',
    RETRY_DELAYS_MS: '300,600',
    MAX_ATTEMPTS: '6',
  });
  let b: ConsoleBrowser;
  const base = () => file.service.baseUrl;
  const value = async () => (await getJson(base(), `/admin/switches/${SWITCH}`, ADMIN)).body?.value;
  const reloadUntil = (what: string, seen: (text: string) => boolean, timeoutMs = 15_000) =>
    waitFor(
      async () => {
        await b.page.goto(`${base()}/console/switches/${SWITCH}`);
        return seen(await b.text());
      },
      { what, timeoutMs, intervalMs: 300 },
    );

  beforeAll(async () => {
    b = await openConsoleBrowser();
    await b.signIn(base(), ADMIN_TOKEN);
  });
  afterAll(async () => {
    await b?.close();
  });

  it('schedules a flip and shows it done', async () => {
    await b.page.goto(`${base()}/console/switches/${SWITCH}`);
    await b.page.$eval('#step-at', (el, at) => ((el as unknown as { value: string }).value = at), new Date(Date.now() + 1_500).toISOString());
    await b.page.type('#step-value', '10');
    await b.page.type('#step-reason', 'first tenth of buyers on the new template');
    await b.submit('form[action$="/schedule"] button');
    expect(await b.text()).toContain('pending');
    await reloadUntil('the step to be done', (t) => /10\s*done/.test(t));
    expect(await value()).toBe(10);
    await b.shot('switch-schedule');
  });

  it('arms the rollback guard and shows it roll the switch back when the new template is refused', async () => {
    await b.page.goto(`${base()}/console/switches/${SWITCH}`);
    await b.page.$eval('#maxFailurePercent', (el) => ((el as unknown as { value: string }).value = '10'));
    await b.page.$eval('#window', (el) => ((el as unknown as { value: string }).value = '1m'));
    await b.page.$eval('#minMessages', (el) => ((el as unknown as { value: string }).value = '10'));
    await b.page.type('#guard-reason', 'roll the v2 template out safely');
    await b.submit('form[action$="/guard"] button');
    expect(await b.text()).toContain('Armed');

    // The rollout goes on while the provider refuses the new template.
    const raised = await fetch(`${base()}/admin/switches/${SWITCH}`, {
      method: 'PUT',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 60 }),
    });
    expect(raised.status).toBe(200);
    file.sandbox.setMode({ mode: 'fail', template: 'order-confirmed-v2' });
    const orders = Array.from({ length: 50 }, () => between());
    await submitAll(base(), orders);

    await reloadUntil('the guard to trip and roll back', (t) => t.includes('Tripped') && t.includes('rolled back'));
    const shown = await b.text();
    expect(shown).toMatch(/rolled back 60 → 10\s+because new path \d+\/\d+ failed \(100\.0%\)/);
    expect(await value()).toBe(10);
    // The rollback is in the switch's history like any flip, by the guard, with who armed it.
    expect(shown).toMatch(/60 %\s*10 %\s*rollback guard \(armed by console \(token [0-9a-f]{8}\)\): new path/);
    await b.shot('switch-guard');
    // Seen from the other pages too: the list of switches and the overview say the guard tripped.
    await b.page.goto(`${base()}/console/switches`);
    expect(await b.text()).toMatch(/tripped \d{4}-\d{2}-\d{2}/);
    await b.page.goto(`${base()}/console`);
    expect(await b.text()).toMatch(/rollback guard of\s+notification-template-v2\s+rolled it back from 60 % to 10 %/);

    // The buyers now on the old path are all told once, with the old template; the tenth that stays on
    // the new path (the value at arming) is still refused, retried, then dead-lettered for replay.
    const oldPath = new Set(orders.filter((o) => bucketOf(SWITCH, o.orderId) >= 10).map((o) => o.orderId));
    const toldOldPath = () => file.sandbox.messages().filter((m) => oldPath.has(String(m.params.orderId)));
    await waitFor(() => toldOldPath().length === oldPath.size, { what: 'every buyer on the old path told' });
    expect(toldOldPath().every((m) => m.template === 'order-confirmed')).toBe(true);
    file.sandbox.setMode({ mode: 'ok' });
  });
});
