// What an operator sees: the hops of one order in time order under one trace id, Prometheus
// metrics, and intake refusing work (503 + Retry-After) once the business queue is too deep.
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { makeOrder } from '../support/orders.js';
import { getJson, postJson, serviceForThisFile, startTestService } from '../support/service-harness.js';
import { deleteTopology, topologyOf } from '../support/topology-cleanup.js';
import { waitFor } from '../support/wait-for.js';

const file = serviceForThisFile('observability');

describe('GET /orders/:orderId/trace', () => {
  it("shows intake, business, a retry and the notification in time order, under the client's trace id", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    file.sandbox.setMode({ mode: 'fail', count: 1 });
    const order = makeOrder();
    const res = await postJson(file.service.baseUrl, '/orders', order, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(res.body).toMatchObject({ traceId });
    const trace = await waitFor(
      async () => {
        const t = await getJson(file.service.baseUrl, `/orders/${order.orderId}/trace`);
        return t.body?.status === 'notified' ? t.body : undefined;
      },
      { what: 'the order to be notified' },
    );
    expect(trace.traceId).toBe(traceId);
    const hops = trace.hops as Array<{ at: string; actor: string; event: string }>;
    expect(hops.map((h) => `${h.actor}:${h.event}`)).toEqual([
      'intake:order.accepted',
      'business:order.processed',
      'notification:notification.failed',
      'notification:notification.sent',
    ]);
    const times = hops.map((h) => Date.parse(h.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('starts a new trace when the client sends a malformed traceparent', async () => {
    const res = await postJson(file.service.baseUrl, '/orders', makeOrder(), { traceparent: 'garbage' });
    expect(res.status).toBe(202);
    expect(res.body!.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('GET /metrics', () => {
  it('counts handled messages per actor and intake answers', async () => {
    const order = makeOrder();
    await postJson(file.service.baseUrl, '/orders', order);
    await waitFor(async () => (await getJson(file.service.baseUrl, `/orders/${order.orderId}`)).body?.status === 'notified');
    const text = await (await fetch(`${file.service.baseUrl}/metrics`)).text();
    expect(text).toMatch(/order_actors_actor_messages_total\{actor="business",result="done"\} [1-9]/);
    expect(text).toMatch(/order_actors_actor_messages_total\{actor="notification",result="done"\} [1-9]/);
    expect(text).toMatch(/order_actors_intake_requests_total\{route="\/orders",outcome="202"\} [1-9]/);
    expect(text).toMatch(/order_actors_queue_depth\{queue="[^"]+\.business"\} \d/);
    expect(text).toContain('order_actors_publish_confirm_seconds_bucket');
  });
});

describe('backpressure', () => {
  it('refuses orders with 503 and Retry-After once the business queue is deeper than the limit, publishing nothing more', async () => {
    // Intake only: nothing consumes, so the queue only grows.
    const prefix = `${file.ctx.config.QUEUE_PREFIX}-bp`;
    const intake = await startTestService(file.ctx, file.sandbox, { ROLE: 'intake', INTAKE_MAX_QUEUE_DEPTH: '3', QUEUE_PREFIX: prefix });
    const conn = await amqp.connect(file.ctx.config.AMQP_URL);
    try {
      let accepted = 0;
      const refused = await waitFor(
        async () => {
          const r = await postJson(intake.baseUrl, '/orders', makeOrder());
          if (r.status === 202) accepted++;
          return r.status === 503 ? r : undefined;
        },
        { what: 'intake to refuse', timeoutMs: 5_000, intervalMs: 100 },
      );
      // The depth is sampled once a second, so a few more than the limit may get in first.
      expect(accepted).toBeGreaterThan(3);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({ error: 'overloaded' });
      expect((await postJson(intake.baseUrl, '/orders', makeOrder())).status).toBe(503);
      const ch = await conn.createChannel();
      // Every 202 is on the queue; no refused order is. (Quorum queue counts settle a moment later.)
      await waitFor(async () => (await ch.checkQueue(`${prefix}.business`)).messageCount === accepted, { what: `${accepted} messages on the queue` });
      await new Promise((r) => setTimeout(r, 300));
      expect((await ch.checkQueue(`${prefix}.business`)).messageCount).toBe(accepted);
    } finally {
      await intake.stop();
      await conn.close();
      await deleteTopology(file.ctx.config.AMQP_URL, topologyOf(file.ctx.config, prefix));
    }
  });
});

describe('GET /docs/json', () => {
  it('serves the shop API as OpenAPI 3.1, generated from the schemas that validate requests', async () => {
    const res = await getJson(file.service.baseUrl, '/docs/json');
    expect(res.status).toBe(200);
    const doc = res.body as {
      openapi: string;
      paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: unknown }> } } }>;
      components: { schemas: Record<string, { required?: string[]; additionalProperties?: unknown; properties?: Record<string, unknown> }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/orders', '/orders/batch', '/orders/{orderId}', '/delivery-delays']));
    const order = doc.components.schemas.Order!;
    expect(order.required).toEqual(expect.arrayContaining(['orderId', 'sellerId', 'buyer', 'items', 'currency', 'shippingAddress', 'requestedDeliveryDate']));
    expect(order.additionalProperties).toBe(false);
    // The body POST /orders validates with is the component the document shows.
    expect(doc.paths['/orders']?.post?.requestBody?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Order' });
  });

  it("leaves the operators' routes, health and metrics out of the shops' document", async () => {
    const doc = (await getJson(file.service.baseUrl, '/docs/json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((path) => !path.startsWith('/orders') && !path.startsWith('/delivery-delays'))).toEqual([]);
  });
});
