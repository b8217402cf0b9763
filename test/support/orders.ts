// Valid orders with unique ids, to be bent into whatever a test needs.
import { randomBytes } from 'node:crypto';
import type { Order } from '../../src/orders/order-schema.js';

export function uniqueOrderId(prefix = 'T'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function makeOrder(overrides: Partial<Order> = {}): Order {
  return {
    orderId: uniqueOrderId(),
    sellerId: 'farm-7',
    buyer: { id: 'b-42', name: 'Kim Minji', phone: '+821012345678' },
    items: [{ sku: 'corn-10', name: 'Sweet corn 10 ears', quantity: 2, unitPrice: 15_900 }],
    currency: 'KRW',
    shippingAddress: { line1: '12 Sejong-daero', city: 'Seoul', postalCode: '04524' },
    requestedDeliveryDate: '2026-12-01',
    ...overrides,
  };
}
