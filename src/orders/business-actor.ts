// The business actor: reads the business queue, where orders are submitted and delivery delays
// applied, and hands each kind of message to its own step. One batch may hold both kinds.
import { z } from 'zod';
import { DeliveryDelayedSchema, type DeliveryDelayed } from '../delivery-delays/delay-schema.js';
import type { ActorDefinition, Incoming, Outcome } from '../platform/amqp/actor.js';
import { dispatchByType } from '../platform/amqp/dispatch-by-type.js';
import type { ActorQueues } from '../platform/amqp/topology.js';
import { isCanonicalOrderSubmitted } from './order-fast-check.js';
import { OrderSubmittedSchema, type OrderSubmitted } from './order-messages.js';

export const BusinessMessageSchema = z.discriminatedUnion('type', [OrderSubmittedSchema, DeliveryDelayedSchema]);
export type BusinessMessage = z.infer<typeof BusinessMessageSchema>;

/** What the business queue carries and how a message is checked before a step sees it (a replay's dry run checks the same). */
export const BUSINESS_CONTRACT = {
  versions: [1],
  schema: BusinessMessageSchema,
  isCanonical: isCanonicalOrderSubmitted,
  orderIdOf: (raw: unknown) => {
    const r = raw as { orderId?: unknown; order?: { orderId?: unknown } } | undefined;
    const id = r?.order?.orderId ?? r?.orderId;
    return typeof id === 'string' ? id.slice(0, 64) : undefined;
  },
} satisfies Pick<ActorDefinition<BusinessMessage>, 'versions' | 'schema' | 'isCanonical' | 'orderIdOf'>;

type Step<T> = (messages: ReadonlyArray<Incoming<T>>) => Promise<Outcome[]>;

export function createBusinessActor(deps: {
  queues: ActorQueues;
  handleSubmitted: Step<OrderSubmitted>;
  handleDelayed: Step<DeliveryDelayed>;
}): ActorDefinition<BusinessMessage> {
  // The two steps touch different rows; dispatchByType runs them side by side on a mixed batch.
  const handleBatch = dispatchByType<BusinessMessage>({ 'order.submitted': deps.handleSubmitted, 'delivery.delayed': deps.handleDelayed });

  return {
    name: 'business',
    queues: deps.queues,
    ...BUSINESS_CONTRACT,
    handleBatch,
  };
}
