// The orders every scenario sends: realistic in size (about 600 bytes as a business message, like a
// real shop's order with a few items) and unique per run and sequence number.
import { orderSubmitted } from '../src/orders/order-messages.js';
import type { Order } from '../src/orders/order-schema.js';

const PRODUCE = [
  { sku: 'corn-10', name: 'Sweet corn, 10 ears, picked this morning', unitPrice: 15_900 },
  { sku: 'potato-5kg', name: 'Gangwon potatoes 5 kg box', unitPrice: 18_500 },
  { sku: 'apple-3kg', name: 'Cheongsong apples 3 kg, medium size', unitPrice: 29_000 },
  { sku: 'kimchi-2kg', name: 'Napa cabbage kimchi 2 kg, aged two weeks', unitPrice: 24_000 },
] as const;

export function benchOrderId(runId: string, seq: number): string {
  return `${runId}-${seq}`;
}

export function benchOrder(runId: string, seq: number, overrides: Partial<Order> = {}): Order {
  const a = PRODUCE[seq % PRODUCE.length]!;
  const b = PRODUCE[(seq + 1) % PRODUCE.length]!;
  return {
    orderId: benchOrderId(runId, seq),
    sellerId: `farm-${seq % 50}`,
    buyer: { id: `buyer-${seq}`, name: 'Kim Minji', phone: `+8210${String(10_000_000 + (seq % 89_999_999)).padStart(8, '0')}` },
    items: [
      { sku: a.sku, name: a.name, quantity: 1 + (seq % 3), unitPrice: a.unitPrice },
      { sku: b.sku, name: b.name, quantity: 1, unitPrice: b.unitPrice },
    ],
    currency: 'KRW',
    shippingAddress: { line1: '12 Sejong-daero, Jongno-gu', line2: 'Building 3, apartment 1204', city: 'Seoul', postalCode: '04524' },
    requestedDeliveryDate: '2026-12-01',
    ...overrides,
  };
}

/** The business message intake would publish for order `seq`: the relay scenarios' message body. */
export function benchMessageBody(runId: string, seq: number): Buffer {
  return Buffer.from(JSON.stringify(orderSubmitted(benchOrder(runId, seq))));
}
