// The operator console over HTTP, as a browser would speak it: sessions, CSRF, the security
// headers, escaping of stored text, and a discard that goes through the audited use case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClient } from '../support/console.js';
import { ADMIN, ADMIN_TOKEN, openBroker, type Broker } from '../support/dead-letters.js';
import { getJson, postJson, serviceForThisFile } from '../support/service-harness.js';
import { storeOrders } from '../support/stored-orders.js';
import { waitFor } from '../support/wait-for.js';

const file = serviceForThisFile('console', { ADMIN_TOKEN, DEAD_LETTER_BATCH_INTERVAL_MS: '200' });
let broker: Broker;
let hostileId: number;
const SCRIPT = '<script>alert(1)</script>';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async function storedStatus(id: number): Promise<unknown> {
  return (await getJson(file.service.baseUrl, `/admin/dead-letters/${id}`, ADMIN)).body?.status;
}

beforeAll(async () => {
  broker = await openBroker(file.ctx);
  // Not JSON, with markup in it: stored as text, and the error message quotes it too.
  await broker.publish(`${file.ctx.config.QUEUE_PREFIX}.business`, `{"note": "${SCRIPT}"`, {
    contentType: 'application/json',
    headers: { 'x-order-id': 'console-hostile-1' },
  });
  hostileId = await waitFor(
    async () => {
      const items = (await getJson(file.service.baseUrl, '/admin/dead-letters?orderId=console-hostile-1', ADMIN)).body!.items as Array<{ id: number }>;
      return items[0]?.id;
    },
    { what: 'the hostile message to be stored' },
  );
});

afterAll(async () => {
  await broker?.close();
});

describe('the operator console', () => {
  it('sends every page without a session to sign in, and changes nothing', async () => {
    const anonymous = consoleClient(file.service.baseUrl);
    for (const path of [
      '/console',
      '/console?fragment=1',
      '/console/failures',
      `/console/failures/${hostileId}`,
      '/console/switches',
      '/console/orders?orderId=x',
      '/console/delays',
    ]) {
      const res = await anonymous.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe('/console/sign-in');
    }
    const discard = await anonymous.post(`/console/failures/${hostileId}/discard`, { reason: 'no session', _csrf: 'x' });
    expect(discard.status).toBe(303);
    expect(discard.headers.get('location')).toBe('/console/sign-in');
    expect(await storedStatus(hostileId)).toBe('new');
    const signIn = await anonymous.get('/console/sign-in');
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('content-security-policy')).toBe(CSP);
  });

  it('refuses a wrong token and sets no cookie', async () => {
    const res = await consoleClient(file.service.baseUrl).signIn('not-the-token');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('signs in with the admin token: an HttpOnly, SameSite=Strict cookie scoped to /console; Secure behind TLS', async () => {
    const client = consoleClient(file.service.baseUrl);
    const res = await client.signIn(ADMIN_TOKEN);
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^console_session=[\w-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/console');
    expect(cookie).not.toContain('Secure');
    const overTls = await fetch(`${file.service.baseUrl}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    });
    expect(overTls.headers.get('set-cookie')).toContain('Secure');
  });

  it('sends the CSP and the other security headers on every page and asset; no inline script or style', async () => {
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    const assets = ['/console/assets/console.css', '/console/assets/console.js'];
    for (const path of ['/console', '/console?fragment=1', '/console/failures', '/console/switches', '/console/orders', '/console/delays', ...assets]) {
      const res = await client.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy'), path).toBe(CSP);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      if (assets.includes(path)) continue;
      // The one script tag loads the console's own script; nothing runs inline.
      expect(res.text.replace('<script src="/console/assets/console.js" defer></script>', ''), path).not.toMatch(/<script|style=/);
    }
    // The assets hold nothing but code and style: served without a session, with their own types.
    const script = await consoleClient(file.service.baseUrl).get('/console/assets/console.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('shows every queue, every process and the running delays on the overview, and its live part alone on request', async () => {
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    const prefix = file.ctx.config.QUEUE_PREFIX;
    // The depths are sampled once a second: wait for the first sample.
    const overview = await waitFor(
      async () => {
        const res = await client.get('/console');
        return res.text.includes('not sampled lately') ? undefined : res.text;
      },
      { what: 'every queue sampled' },
    );
    for (const queue of [
      `${prefix}.business`,
      `${prefix}.notification`,
      `${prefix}.business.retry-100ms`,
      `${prefix}.notification.retry-200ms`,
      `${prefix}.dead-letters`,
    ]) {
      expect(overview).toContain(`<code>${queue}</code>`);
    }
    expect(overview).toContain('retry after 100\u00a0ms');
    // This process, connected to ZooKeeper, and the node each of its connections uses.
    const self = /<tr class="running">[\s\S]*?<\/tr>/.exec(overview.slice(overview.indexOf('<table class="processes">')))?.[0] ?? '';
    expect(self).toContain('<div class="muted">this one</div>');
    expect(self).toContain('<span class="ok">connected</span>');
    expect(self).toContain('current');
    expect(self).toMatch(/publish:\s*127\.0\.0\.1:5672/);
    expect(overview).toContain('data-refresh="/console?fragment=1"');

    const fragment = await client.get('/console?fragment=1');
    expect(fragment.status).toBe(200);
    expect(fragment.text).toContain('<table class="queues">');
    expect(fragment.text).not.toMatch(/<html|<header|data-refresh/);
    expect((await client.get('/console?fragment=2')).status).toBe(400);
  });

  it('lists delivery delays with their progress', async () => {
    const sellerId = `farm-console-${Date.now().toString(36)}`;
    await storeOrders(file.ctx.db, { idPrefix: `${sellerId}-o`, count: 3, overrides: { sellerId, requestedDeliveryDate: '2026-12-01' } });
    const created = await postJson(file.service.baseUrl, '/delivery-delays', {
      sellerId,
      requestedDeliveryDate: '2026-12-01',
      newDeliveryDate: '2026-12-02',
      reason: 'rain in <b>Gangwon</b>',
    });
    expect(created.status).toBe(202);
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    const page = await waitFor(
      async () => {
        const body = (await client.get('/console/delays')).text;
        return body.includes(String(created.body!.delayId)) && />3<\/td>\s*<td class="num">3<\/td>\s*<td class="num">3<\/td>\s*<td class="num">3</.test(body)
          ? body
          : undefined;
      },
      { what: 'the delay, published, applied and told to all three buyers' },
    );
    expect(page).toContain(sellerId);
    expect(page).toContain('2026-12-01 → 2026-12-02');
    expect(page).toContain('rain in &lt;b&gt;Gangwon&lt;/b&gt;');
  });

  it('shows stored markup as text', async () => {
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    const res = await client.get(`/console/failures/${hostileId}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(SCRIPT);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The status in the words the lists and counts use: open, not the API's "new".
    expect(res.text).toContain('<span class="status-new">open</span>');
  });

  it('refuses a form without the CSRF token or with another one, and discards with it, audited', async () => {
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    const path = `/console/failures/${hostileId}/discard`;
    expect((await client.post(path, { reason: 'no token' })).status).toBe(403);
    expect((await client.post(path, { reason: 'wrong token', _csrf: 'A'.repeat(43) })).status).toBe(403);
    // Another session's token is not this one's.
    const other = consoleClient(file.service.baseUrl);
    await other.signIn(ADMIN_TOKEN);
    expect((await client.post(path, { reason: 'other session', _csrf: await other.csrfToken() })).status).toBe(403);
    expect(await storedStatus(hostileId)).toBe('new');
    // A refused form is answered as a console page naming the field, with the way back.
    const refused = await client.post(path, { reason: '', _csrf: await client.csrfToken() });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(refused.text).toContain('Some fields need another look');
    expect(refused.text).toMatch(/<strong>reason<\/strong>/);
    expect(await storedStatus(hostileId)).toBe('new');

    const res = await client.post(path, { reason: 'a producer sent broken JSON', _csrf: await client.csrfToken() });
    expect(res.status).toBe(303);
    const row = (await getJson(file.service.baseUrl, `/admin/dead-letters/${hostileId}`, ADMIN)).body!;
    expect(row).toMatchObject({ status: 'discarded', discardReason: 'a producer sent broken JSON' });
    expect(row.discardedBy).toMatch(/^console \(token [0-9a-f]{8}\)$/);
  });

  it('replays through the same use case as REST, with the session as the actor', async () => {
    await broker.publish(`${file.ctx.config.QUEUE_PREFIX}.business`, JSON.stringify({ version: 1, type: 'order.submitted', order: 'not an order' }), {
      contentType: 'application/json',
      headers: { 'x-order-id': 'console-replay-1' },
    });
    const id = await waitFor(
      async () => ((await getJson(file.service.baseUrl, '/admin/dead-letters?orderId=console-replay-1', ADMIN)).body!.items as Array<{ id: number }>)[0]?.id,
      { what: 'the message to replay to be stored' },
    );
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    expect((await client.post('/console/failures/replay', { id: String(id) })).status).toBe(403);
    expect(await storedStatus(id)).toBe('new');
    const csrf = await client.csrfToken();
    const dryRun = await client.post('/console/failures/dry-run', { id: String(id), _csrf: csrf });
    expect(dryRun.status).toBe(200);
    expect(dryRun.text).toContain('would fail validation');
    expect(dryRun.text).toContain(`<a href="/console/failures/${id}#discard">Discard…</a>`);
    expect(await storedStatus(id)).toBe('new');
    // A pace the REST API would refuse is refused here too, before anything is replayed.
    expect((await client.post('/console/failures/replay', { id: String(id), _csrf: csrf, ratePerSecond: '0' })).status).toBe(400);
    expect(await storedStatus(id)).toBe('new');
    const replay = await client.post('/console/failures/replay', { id: String(id), _csrf: csrf, ratePerSecond: '' });
    expect(replay.status).toBe(200);
    expect(replay.text).toContain('Replay: stopped');
    const row = (await getJson(file.service.baseUrl, `/admin/dead-letters/${id}`, ADMIN)).body!;
    expect(row).toMatchObject({ status: 'replayed' });
    expect(row.replayedBy).toMatch(/^console \(token [0-9a-f]{8}\)$/);
  });

  it('says on the page when a previewed switch value does not fit, and flips nothing', async () => {
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    const res = await client.get('/console/switches/order-rules-v2/preview?value=banana');
    expect(res.status).toBe(400);
    expect(res.text).toContain('order-rules-v2 cannot take');
    expect((await getJson(file.service.baseUrl, '/admin/switches/order-rules-v2', ADMIN)).body?.value).toBe(0);
  });

  it('ends the session on sign-out', async () => {
    const client = consoleClient(file.service.baseUrl);
    await client.signIn(ADMIN_TOKEN);
    const csrf = await client.csrfToken();
    expect((await client.post('/console/sign-out', { _csrf: csrf })).status).toBe(303);
    const res = await client.get('/console');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/sign-in');
  });
});
