// The operator console in a real browser (Debian's chromium, driven by puppeteer-core, which never
// downloads one): sign in, watch the overview refresh itself, look at a cause of failures, dry-run
// its replay, discard one message, read an order's timeline, flip a switch after its preview, and
// replay a cause at a chosen pace. Each page is saved as a picture (see support/console-browser.ts).
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { hasChromium, openConsoleBrowser, warnIfNoBrowser, type ConsoleBrowser } from '../support/console-browser.js';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { storeOrders } from '../support/stored-orders.js';
import { waitFor } from '../support/wait-for.js';

warnIfNoBrowser('console-browser.test.ts');

describe.skipIf(!hasChromium)('the operator console in a browser', () => {
  const file = serviceForThisFile('console-browser', { ADMIN_TOKEN, DEAD_LETTER_BATCH_INTERVAL_MS: '200' });
  let broker: Broker;
  let browser: ConsoleBrowser;
  let page: Page;
  const delivered = makeOrder({ sellerId: 'farm-7' });
  const faxed = [makeOrder(), makeOrder(), makeOrder()];

  const base = () => file.service.baseUrl;
  const shot = (name: string) => browser.shot(name);
  const text = () => browser.text();
  const submit = (selector: string) => browser.submit(selector);

  beforeAll(async () => {
    broker = await openBroker(file.ctx);
    expect((await postJson(base(), '/orders', delivered)).status).toBe(202);
    // A producer that sends a channel the contract does not know: one cause, three messages.
    for (const order of faxed) {
      await broker.publish(`${file.ctx.config.QUEUE_PREFIX}.business`, JSON.stringify({ ...orderSubmitted(order), channel: 'fax' }), {
        contentType: 'application/json',
        headers: { 'x-order-id': order.orderId },
      });
    }
    // And one whose body carries markup: it must show as text.
    await broker.publish(`${file.ctx.config.QUEUE_PREFIX}.business`, '{"note": "<script>alert(1)</script>"', { contentType: 'application/json' });
    await waitFor(async () => ((await getJson(base(), '/admin/dead-letters', ADMIN)).body!.items as unknown[]).length === 4, {
      what: 'the four failed messages to be stored',
    });
    await waitFor(async () => (await getJson(base(), `/orders/${delivered.orderId}`)).body?.status === 'notified', { what: 'the order to be notified' });
    browser = await openConsoleBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('signs in and shows the overview: queues, processes, failures', async () => {
    await page.goto(`${base()}/console`);
    expect(page.url()).toBe(`${base()}/console/sign-in`);
    await shot('sign-in');
    await page.type('#token', ADMIN_TOKEN);
    await submit('button[type=submit]');
    expect(page.url()).toBe(`${base()}/console`);
    const overview = await text();
    expect(overview).toContain('4open failed message(s)');
    const prefix = file.ctx.config.QUEUE_PREFIX;
    const queues = String(await page.evaluate('document.querySelector("table.queues").textContent'));
    expect(queues).toContain(`${prefix}.business`);
    expect(queues).toContain(`${prefix}.notification`);
    const self = String(
      await page.evaluate('[...document.querySelectorAll("table.processes tr")].find((r) => r.textContent.includes("this one")).textContent'),
    );
    expect(self).toContain('connected');
    expect(self).toContain('running');
  });

  it('refreshes the overview in place, and pauses on request', async () => {
    const parked = `${file.ctx.config.QUEUE_PREFIX}.dead-letters.parked`;
    // The Ready cell of the parked queue's row, found by its column's heading.
    const parkedReady = async () =>
      String(
        await page.evaluate(`(() => {
          const rows = [...document.querySelectorAll("table.queues tr")];
          const column = [...rows[0].cells].findIndex((c) => c.textContent === "Ready");
          return rows.find((r) => r.textContent.includes("${parked}")).cells[column].textContent;
        })()`),
      ).trim();
    // A mark on this very document: a reload or a navigation would lose it.
    await page.evaluate('window.stillThisPage = true');
    await waitFor(async () => (await parkedReady()) === '0', { what: 'the parked queue sampled empty' });
    // Nothing consumes the parked dead letters: what is put there stays, and the page should show it.
    for (let i = 0; i < 3; i++) await broker.publish(parked, JSON.stringify({ n: i }), { contentType: 'application/json' });
    await waitFor(async () => (await parkedReady()) === '3', { what: 'the overview to show the parked messages without a reload', timeoutMs: 15_000 });
    expect(await page.evaluate('window.stillThisPage')).toBe(true);
    expect(page.url()).toBe(`${base()}/console`);
    await shot('overview');

    expect(await page.evaluate('document.getElementById("refresh-status").textContent')).toBe('Refreshes every 5 s.');
    await page.click('#refresh-toggle');
    expect(await page.evaluate('document.getElementById("refresh-status").textContent')).toBe('Refresh paused.');
    await page.click('#refresh-toggle');
    expect(await page.evaluate('document.getElementById("refresh-status").textContent')).toBe('Refreshes every 5 s.');
  });

  it('opens a cause of failures and runs a dry run of its replay', async () => {
    await page.goto(`${base()}/console/failures`);
    await shot('failures');
    const [link] = await page.$$('xpath/.//a[starts-with(@href, "/console/failures/groups/") and text()="invalid_message"]');
    await Promise.all([page.waitForNavigation(), link!.click()]);
    await shot('failure-group');
    await submit('form[action="/console/failures/dry-run"] button');
    const dryRun = await text();
    expect(dryRun).toContain('Dry run of a replay');
    expect(dryRun).toMatch(/3message\(s\) selected/);
    expect(dryRun).toMatch(/3would fail validation again/);
    await shot('dry-run');
    // A message a replay cannot help leads to its own page's discard form.
    const discards = await page.$$('xpath/.//a[text()="Discard…"]');
    expect(discards).toHaveLength(3);
    await Promise.all([page.waitForNavigation(), discards[0]!.click()]);
    expect(page.url()).toMatch(/\/console\/failures\/\d+#discard$/);
    expect(await page.$('form#discard input#reason')).not.toBeNull();
  });

  it('discards one message with a reason', async () => {
    const before = (await getJson(base(), `/admin/dead-letters?orderId=${faxed[0]!.orderId}`, ADMIN)).body!.items as Array<{ id: number }>;
    const id = before[0]!.id;
    await page.goto(`${base()}/console/failures/${id}`);
    await shot('failed-message');
    await page.type('#reason', 'a producer sent channel "fax"; told the shop');
    await submit('form[action$="/discard"] button');
    expect(await text()).toContain('discarded');
    const row = (await getJson(base(), `/admin/dead-letters/${id}`, ADMIN)).body!;
    expect(row).toMatchObject({ status: 'discarded', discardReason: 'a producer sent channel "fax"; told the shop' });
  });

  it('shows stored markup as text', async () => {
    const items = (await getJson(base(), '/admin/dead-letters?errorCode=invalid_json', ADMIN)).body!.items as Array<{ id: number }>;
    let alerted = false;
    page.on('dialog', (d) => {
      alerted = true;
      void d.dismiss();
    });
    await page.goto(`${base()}/console/failures/${items[0]!.id}`);
    expect(await page.$('main script')).toBeNull();
    expect(await text()).toContain('<script>alert(1)</script>');
    expect(alerted).toBe(false);
    await shot('escaped-message');
  });

  it("shows an order's timeline", async () => {
    await page.goto(`${base()}/console/orders`);
    await page.type('#orderId', delivered.orderId);
    await submit('form[action="/console/orders"] button');
    const timeline = await text();
    expect(timeline).toContain('order.accepted');
    expect(timeline).toContain('notified');
    await shot('order-timeline');
  });

  it('lists the delivery delays with their progress', async () => {
    const sellerId = `farm-browser-${Date.now().toString(36)}`;
    await storeOrders(file.ctx.db, { idPrefix: `${sellerId}-o`, count: 5, overrides: { sellerId, requestedDeliveryDate: '2026-12-01' } });
    const created = await postJson(base(), '/delivery-delays', {
      sellerId,
      requestedDeliveryDate: '2026-12-01',
      newDeliveryDate: '2026-12-03',
      reason: 'heavy rain',
    });
    expect(created.status).toBe(202);
    await waitFor(async () => (await getJson(base(), `/delivery-delays/${String(created.body!.delayId)}`)).body?.notified === 5, { what: 'every buyer told' });
    await page.goto(`${base()}/console/delays`);
    const shown = await text();
    expect(shown).toContain(sellerId);
    expect(shown).toContain('2026-12-01 → 2026-12-03');
    await shot('delays');
  });

  it('flips a switch after seeing its preview', async () => {
    await page.goto(`${base()}/console/switches`);
    await shot('switches');
    await page.goto(`${base()}/console/switches/order-rules-v2`);
    await page.type('#value', '30');
    await submit('form[action$="/preview"] button');
    expect(await text()).toContain('Nothing has been flipped yet');
    expect((await getJson(base(), '/admin/switches/order-rules-v2', ADMIN)).body?.value).toBe(0);
    await shot('switch-preview');
    await page.type('#flip-reason', 'price a third of orders with rules v2');
    await submit('form[method=post][action="/console/switches/order-rules-v2"] button');
    expect(page.url()).toBe(`${base()}/console/switches/order-rules-v2?done=flipped`);
    expect((await getJson(base(), '/admin/switches/order-rules-v2', ADMIN)).body?.value).toBe(30);
    expect(await text()).toContain('Flipped. Every process has the new value within seconds');
    expect(await text()).toMatch(/console \(token [0-9a-f]{8}\)/);
    const [audit] = await file.ctx.db
      .selectFrom('switch_changes')
      .select(['new_value', 'source'])
      .where('switch_name', '=', 'order-rules-v2')
      .orderBy('at', 'desc')
      .limit(1)
      .execute();
    expect(audit).toEqual({ new_value: '30', source: 'console' });
    await shot('switch-flipped');
  });

  it('replays a cause at the pace the operator chose', async () => {
    const order = makeOrder();
    file.sandbox.setMode({ mode: 'reject' });
    expect((await postJson(base(), '/orders', order)).status).toBe(202);
    const [failed] = await waitFor(
      async () => {
        const items = (await getJson(base(), `/admin/dead-letters?orderId=${order.orderId}`, ADMIN)).body!.items as Array<{ fingerprint: string }>;
        return items.length > 0 ? items : undefined;
      },
      { what: 'the refused confirmation to be stored' },
    );
    file.sandbox.setMode({ mode: 'ok' });
    await page.goto(`${base()}/console/failures/groups/${failed!.fingerprint}`);
    await submit('form[action="/console/failures/dry-run"] button');
    expect(await text()).toContain('Pace, in messages per second');
    await shot('dry-run-pace');
    await page.type('#ratePerSecond', '2');
    await submit('form[action="/console/failures/replay"] button');
    const report = await text();
    expect(report).toContain('Replay: completed');
    expect(report).toContain('2/s');
    await waitFor(async () => (await getJson(base(), `/orders/${order.orderId}`)).body?.status === 'notified', { what: 'the replayed order notified' });
  });
});
