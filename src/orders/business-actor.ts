// The business actor: reads the business queue, where orders are submitted and delivery delays
// applied, and hands each kind of message to its own step. One batch may hold both kinds.
import { z } from 'zod';
import type { ActorDefinition, Incoming, Outcome } from '../platform/amqp/actor.js';
import type { ActorQueues } from '../platform/amqp/topology.js';
import { DeliveryDelayedSchema, type DeliveryDelayed } from '../delivery-delays/delay-schema.js';
import { OrderSubmittedSchema, type OrderSubmitted } from './order-messages.js';
import { isCanonicalOrderSubmitted } from './order-fast-check.js';

export const BusinessMessageSchema = z.discriminatedUnion('type', [OrderSubmittedSchema, DeliveryDelayedSchema]);
export type BusinessMessage = z.infer<typeof BusinessMessageSchema>;

type Step<T> = (messages: ReadonlyArray<Incoming<T>>) => Promise<Outcome[]>;

export function createBusinessActor(deps: {
  queues: ActorQueues;
  handleSubmitted: Step<OrderSubmitted>;
  handleDelayed: Step<DeliveryDelayed>;
}): ActorDefinition<BusinessMessage> {
  async function handleBatch(messages: ReadonlyArray<Incoming<BusinessMessage>>): Promise<Outcome[]> {
    const submitted: number[] = [];
    const delayed: number[] = [];
    messages.forEach((m, i) => (m.body.type === 'order.submitted' ? submitted : delayed).push(i));
    const pick = <T>(idx: number[]) => idx.map((i) => messages[i]) as unknown as ReadonlyArray<Incoming<T>>;
    // The two steps touch different rows; running them side by side keeps a mixed batch fast.
    const [a, b] = await Promise.all([
      submitted.length ? deps.handleSubmitted(pick<OrderSubmitted>(submitted)) : [],
      delayed.length ? deps.handleDelayed(pick<DeliveryDelayed>(delayed)) : [],
    ]);
    const outcomes: Outcome[] = new Array<Outcome>(messages.length);
    submitted.forEach((msgIndex, k) => (outcomes[msgIndex] = a[k]!));
    delayed.forEach((msgIndex, k) => (outcomes[msgIndex] = b[k]!));
    return outcomes;
  }

  return {
    name: 'business',
    queues: deps.queues,
    versions: [1],
    schema: BusinessMessageSchema,
    isCanonical: isCanonicalOrderSubmitted,
    orderIdOf: (raw) => {
      const r = raw as { orderId?: unknown; order?: { orderId?: unknown } } | undefined;
      const id = r?.order?.orderId ?? r?.orderId;
      return typeof id === 'string' ? id.slice(0, 64) : undefined;
    },
    handleBatch,
  };
}
