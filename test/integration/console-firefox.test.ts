// The operator console in Firefox (Debian's firefox-esr, driven by puppeteer-core over WebDriver
// BiDi): the pages render, the forms work under the strict Content-Security-Policy, and a flip after
// its preview lands, as in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBrowser, openConsoleBrowser, warnIfNoBrowser, type ConsoleBrowser } from '../support/console-browser.js';
import { ADMIN, ADMIN_TOKEN } from '../support/dead-letters.js';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { waitFor } from '../support/wait-for.js';

warnIfNoBrowser('console-firefox.test.ts', 'firefox');

describe.skipIf(!hasBrowser('firefox'))('the operator console in Firefox', () => {
  const file = serviceForThisFile('console-firefox', { ADMIN_TOKEN });
  let b: ConsoleBrowser;
  const base = () => file.service.baseUrl;
  const order = makeOrder();

  beforeAll(async () => {
    expect((await postJson(base(), '/orders', order)).status).toBe(202);
    await waitFor(async () => (await getJson(base(), `/orders/${order.orderId}`)).body?.status === 'notified', { what: 'the order to be notified' });
    b = await openConsoleBrowser('firefox');
  });
  afterAll(async () => {
    await b?.close();
  });

  it('signs in and shows the overview and the switches', async () => {
    await b.page.goto(`${base()}/console`);
    expect(b.page.url()).toBe(`${base()}/console/sign-in`);
    await b.signIn(base(), ADMIN_TOKEN);
    expect(b.page.url()).toBe(`${base()}/console`);
    expect(await b.text()).toContain('Overview');
    await b.page.goto(`${base()}/console/switches`);
    expect(await b.text()).toContain('order-rules-v2');
  });

  it("shows an order's timeline", async () => {
    await b.page.goto(`${base()}/console/orders`);
    await b.page.type('#orderId', order.orderId);
    await b.submit('form[action="/console/orders"] button');
    expect(await b.text()).toContain('order.accepted');
  });

  it('flips a switch after its preview', async () => {
    await b.page.goto(`${base()}/console/switches/order-rules-v2`);
    await b.page.type('#value', '20');
    await b.submit('form[action$="/preview"] button');
    expect(await b.text()).toContain('Nothing has been flipped yet');
    await b.page.type('#flip-reason', 'price a third of orders with rules v2');
    await b.submit('form[method=post][action="/console/switches/order-rules-v2"] button');
    expect((await getJson(base(), '/admin/switches/order-rules-v2', ADMIN)).body?.value).toBe(20);
    await b.page.goto(`${base()}/console/switches/order-rules-v2`);
    await b.page.type('#guard-reason', 'watch rules v2');
    await b.submit('form[action$="/guard"] button');
    expect(await b.text()).toContain('Armed');
  });

  it('signs out', async () => {
    await b.page.goto(`${base()}/console`);
    await b.submit('form[action="/console/sign-out"] button');
    await b.page.goto(`${base()}/console/switches`);
    expect(b.page.url()).toBe(`${base()}/console/sign-in`);
  });
});
