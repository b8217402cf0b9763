// The process of scenario 6, the pipeline floor: the service's hops with none of its work. Intake
// over node:http publishes the same business message with a confirm and answers 202; a relay turns
// it into the same notification message; a sink calls the messaging sandbox over a keep-alive undici
// pool. Like the service it uses one publish and one consume connection with frames coalesced,
// confirms, mandatory routing and manual acks, and its messages carry the same properties and
// headers; unlike it, no validation, database, retries, tracing, metrics or logging. It reads the
// service's environment (PORT, QUEUE_PREFIX, NOTIFY_API_URL, AMQP_URL) and answers
// GET /health/ready and GET /told (buyers told so far).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { notificationRequested, type NotificationRequested } from '../src/notifications/notification-messages.js';
import { orderSubmitted, type OrderSubmitted } from '../src/orders/order-messages.js';
import type { Order } from '../src/orders/order-schema.js';
import { coalesceFrameWrites } from '../src/platform/amqp/frame-coalescing.js';
import { HEADERS } from '../src/platform/amqp/message-headers.js';
import { describeTopology } from '../src/platform/amqp/topology.js';
import { createLogger } from '../src/platform/logger.js';
import { loadBenchConfig } from './bench-config.js';
import { connectRaw, createAckFrontier } from './broker-ceiling.js';

// A fixed, valid trace context: the service makes one per order, which is its work, not the hop's;
// the header is here so the broker carries the same bytes.
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Anything unexpected ends the run: the floor has no retries, and the bench reports the exit. */
function fail(what: string, err: unknown): never {
  console.error(`pipeline floor: ${what}:`, err);
  process.exit(1);
}

function publish(channel: ConfirmChannel, exchange: string, routingKey: string, body: { type: string }, orderId: string, messageId: string): Promise<void> {
  const options = {
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    messageId,
    timestamp: Date.now(),
    type: body.type,
    headers: { [HEADERS.traceparent]: TRACEPARENT, [HEADERS.orderId]: orderId },
  };
  return new Promise((resolve, reject) => {
    channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), options, (err) =>
      err ? reject(new Error(`RabbitMQ refused message ${messageId} to ${routingKey} (nack): check the broker's log`)) : resolve(),
    );
  });
}

/** A lost connection or channel would only show as a stall; end the run with the reason instead. */
function failOnLoss(what: string, emitter: ChannelModel | Channel): void {
  emitter.on('error', (err: unknown) => fail(`the ${what} failed`, err));
  emitter.on('close', () => fail(`the ${what} closed`, undefined));
}

async function main(): Promise<void> {
  const bench = loadBenchConfig();
  const config = loadConfig();
  if (!config.NOTIFY_API_URL) throw new Error('Set NOTIFY_API_URL to the messaging sandbox');
  const logger = createLogger({ level: 'warn', name: 'pipeline-floor' });
  const topology = describeTopology({ prefix: config.QUEUE_PREFIX, retryDelaysMs: config.RETRY_DELAYS_MS, deliveryLimit: config.QUEUE_DELIVERY_LIMIT });
  const { exchange } = topology;
  const hop1 = topology.actors.business.work;
  const hop2 = topology.actors.notification.work;
  const [publishConn, consumeConn] = await Promise.all([connectRaw(bench, 'bench-floor-publish'), connectRaw(bench, 'bench-floor-consume')]);
  for (const [what, model] of [
    ['publish connection', publishConn],
    ['consume connection', consumeConn],
  ] as const) {
    coalesceFrameWrites(model, logger);
    failOnLoss(what, model);
  }
  const out = await publishConn.createConfirmChannel();
  failOnLoss('publish channel', out);
  // Mandatory routing, as the service: an unroutable message is returned before its confirm.
  out.on('return', (msg: { fields: { routingKey: string } }) => fail(`a message to ${msg.fields.routingKey} was unroutable`, undefined));
  const sandbox = new Pool(new URL(config.NOTIFY_API_URL).origin, { connections: config.NOTIFY_CONNECTIONS, keepAliveTimeout: 30_000 });
  let told = 0;

  const relayIn = await consumeConn.createChannel();
  failOnLoss('relay channel', relayIn);
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
    publish(out, exchange, hop2, request, order.orderId, request.idempotencyKey).then(settle, (err: unknown) =>
      fail('a relayed message was not confirmed', err),
    );
  });

  const sink = await consumeConn.createChannel();
  failOnLoss('sink channel', sink);
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
      publish(out, exchange, hop1, orderSubmitted(order), order.orderId, randomUUID()).then(
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

// A plain exit on SIGTERM, so that node's --cpu-prof writes the floor's profile as it does the service's.
process.once('SIGTERM', () => process.exit(0));
main().catch((err: unknown) => fail('could not start', err));
