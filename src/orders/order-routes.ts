// Intake: POST /orders answers 202 only once RabbitMQ has confirmed and routed the order message;
// GET /orders/:orderId shows what the actors have recorded.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Publisher } from '../platform/amqp/publisher.js';
import type { Db } from '../platform/db.js';
import { HEADERS } from '../platform/amqp/message-headers.js';
import { continueTrace } from '../platform/tracing.js';
import { NotFoundError, toIssues, ValidationError } from '../http/http-errors.js';
import { orderSubmitted } from './order-messages.js';
import type { OrderRepository } from './order-repository.js';
import { IdSchema, OrderSchema } from './order-schema.js';

export type OrderRoutesDeps = {
  db: Db;
  orders: OrderRepository;
  publisher: Pick<Publisher, 'publish'>;
  businessQueue: string;
  /** Throws an 'overloaded' AppError when intake must refuse work (backpressure). */
  admit?: () => void;
};

const OrderIdParams = z.object({ orderId: IdSchema });

export function orderRoutes(deps: OrderRoutesDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/orders', async (req, reply) => {
      const parsed = OrderSchema.safeParse(req.body);
      if (!parsed.success) throw new ValidationError(toIssues(parsed.error));
      deps.admit?.();
      const order = parsed.data;
      const trace = continueTrace(req.headers.traceparent);
      const message = orderSubmitted(order);
      await deps.publisher.publish(deps.businessQueue, Buffer.from(JSON.stringify(message)), {
        type: message.type,
        headers: { [HEADERS.traceparent]: trace.traceparent, [HEADERS.orderId]: order.orderId },
      });
      return reply
        .code(202)
        .header('location', `/orders/${encodeURIComponent(order.orderId)}`)
        .send({ orderId: order.orderId, status: 'accepted', traceId: trace.traceId });
    });

    app.get('/orders/:orderId', async (req) => {
      const params = OrderIdParams.safeParse(req.params);
      if (!params.success) throw new ValidationError(toIssues(params.error));
      const view = await deps.orders.find(deps.db, params.data.orderId);
      if (!view) {
        throw new NotFoundError(
          `No order ${params.data.orderId} is recorded. An accepted order (202) appears here once the business actor has stored it, normally within a second.`,
        );
      }
      return view;
    });
  };
}
