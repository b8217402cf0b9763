// The process of scenario 6, the pipeline floor: the service's hops with none of its work. Intake
// over node:http publishes the same business message with a confirm and answers 202; a relay turns
// it into the same notification message; a sink calls the messaging sandbox over a keep-alive undici
// pool. Confirms and manual acks throughout, as the service; no validation, database, retries,
// tracing, metrics or logging. It reads the service's environment (PORT, QUEUE_PREFIX,
// NOTIFY_API_URL, AMQP_URL) and answers GET /health/ready and GET /told (buyers told so far).
import http from 'node:http';
import type { ConfirmChannel } from 'amqplib';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { describeTopology } from '../src/platform/amqp/topology.js';
import { notificationRequested, type NotificationRequested } from '../src/notifications/notification-messages.js';
import { orderSubmitted, type OrderSubmitted } from '../src/orders/order-messages.js';
import type { Order } from '../src/orders/order-schema.js';
import { createAckFrontier, connectRaw } from './broker-ceiling.js';
import { loadBenchConfig } from './bench-config.js';

/** Anything unexpected ends the run: the floor has no retries, and the bench reports the exit. */
function fail(what: string, err: unknown): never {
  console.error(`pipeline floor: ${what}:`, err);
  process.exit(1);
}

function publish(channel: ConfirmChannel, exchange: string, routingKey: string, body: object): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), { persistent: true, mandatory: true, contentType: 'application/json' }, (err) =>
      err ? reject(err instanceof Error ? err : new Error('nacked')) : resolve(),
    );
  });
}

async function main(): Promise<void> {
  const bench = loadBenchConfig();
  const config = loadConfig();
  if (!config.NOTIFY_API_URL) throw new Error('Set NOTIFY_API_URL to the messaging sandbox');
  const topology = describeTopology({ prefix: config.QUEUE_PREFIX, retryDelaysMs: config.RETRY_DELAYS_MS, deliveryLimit: config.QUEUE_DELIVERY_LIMIT });
  const { exchange } = topology;
  const hop1 = topology.actors.business!.work;
  const hop2 = topology.actors.notification!.work;
  const [publishConn, consumeConn] = await Promise.all([connectRaw(bench, 'bench-floor-publish'), connectRaw(bench, 'bench-floor-consume')]);
  const out = await publishConn.createConfirmChannel();
  const sandbox = new Pool(new URL(config.NOTIFY_API_URL).origin, { connections: config.NOTIFY_CONNECTIONS, keepAliveTimeout: 30_000 });
  let told = 0;

  const relayIn = await consumeConn.createChannel();
  await relayIn.prefetch(config.BUSINESS_PREFETCH);
  const relayAcks = createAckFrontier(relayIn);
  await relayIn.consume(hop1, (msg) => {
    if (!msg) return;
    const settle = relayAcks.track(msg);
    const { order } = JSON.parse(msg.content.toString()) as OrderSubmitted;
    const request = notificationRequested({
      orderId: order.orderId,
      kind: 'order-confirmed',
      to: order.buyer.phone,
      params: { orderId: order.orderId, buyerName: order.buyer.name, total: 0, currency: order.currency, deliveryDate: order.requestedDeliveryDate },
    });
    publish(out, exchange, hop2, request).then(settle, (err: unknown) => fail('a relayed message was not confirmed', err));
  });

  const sink = await consumeConn.createChannel();
  await sink.prefetch(config.NOTIFICATION_PREFETCH);
  const sinkAcks = createAckFrontier(sink);
  await sink.consume(hop2, (msg) => {
    if (!msg) return;
    const settle = sinkAcks.track(msg);
    const request = JSON.parse(msg.content.toString()) as NotificationRequested;
    sandbox
      .request({
        method: 'POST',
        path: '/messages',
        headers: { 'content-type': 'application/json', 'idempotency-key': request.idempotencyKey },
        body: JSON.stringify({ to: request.to, template: request.kind, params: request.params }),
      })
      .then(async (res) => {
        await res.body.text();
        if (res.statusCode >= 300) throw new Error(`the sandbox answered ${res.statusCode}`);
        told++;
        settle();
      })
      .catch((err: unknown) => fail('a call to the messaging sandbox failed', err));
  });

  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      res.writeHead(req.url === '/told' || req.url === '/health/ready' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(String(told));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const order = JSON.parse(Buffer.concat(chunks).toString()) as Order;
      publish(out, exchange, hop1, orderSubmitted(order)).then(
        () => {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ orderId: order.orderId, status: 'accepted' }));
        },
        (err: unknown) => fail('an order was not confirmed', err),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(config.PORT, config.HOST);
}

main().catch((err: unknown) => fail('could not start', err));
