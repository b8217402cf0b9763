// What masking leaves of a stored dead letter: every message that carries a buyer's name, phone or
// address (an order, an order confirmation, a delay notice, one that failed its contract), the
// headers, and bodies that are not JSON; and what it keeps for the operator.
import { describe, expect, it } from 'vitest';
import { MASKED, maskPersonalFields, maskStoredMessage } from '../../src/dead-letters/personal-data-mask.js';
import { delayNotice } from '../../src/delivery-delays/delay-notice.js';
import { notificationRequested } from '../../src/notifications/notification-messages.js';
import { createNotificationSigner } from '../../src/notifications/notification-signature.js';
import { orderSubmitted } from '../../src/orders/order-messages.js';
import { makeOrder } from '../support/orders.js';

const PERSONAL = /Kim Minji|\+821012345678|Sejong|Seoul|04524|Apt 3/;
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe('maskPersonalFields', () => {
  it("masks an order's buyer name and phone and every address field, and keeps the rest", () => {
    const order = makeOrder({ shippingAddress: { line1: '12 Sejong-daero', line2: 'Apt 3', city: 'Seoul', postalCode: '04524' } });
    const masked = maskPersonalFields(asJson(orderSubmitted(order, new Date('2026-11-27T09:00:00Z'))));
    expect(JSON.stringify(masked)).not.toMatch(PERSONAL);
    expect(masked).toEqual({
      type: 'order.submitted',
      version: 1,
      submittedAt: '2026-11-27T09:00:00.000Z',
      order: {
        ...order,
        buyer: { id: 'b-42', name: MASKED, phone: MASKED },
        shippingAddress: { line1: MASKED, line2: MASKED, city: MASKED, postalCode: MASKED },
      },
    });
  });

  it("masks a confirmation's recipient and the buyer's name among its params", () => {
    const request = notificationRequested({
      orderId: 'A-1',
      kind: 'order-confirmed',
      to: '+821012345678',
      params: { orderId: 'A-1', buyerName: 'Kim Minji', total: 31_800, currency: 'KRW', deliveryDate: '2026-12-01' },
    });
    expect(maskPersonalFields(asJson(request))).toEqual({
      ...request,
      to: MASKED,
      params: { orderId: 'A-1', buyerName: MASKED, total: 31_800, currency: 'KRW', deliveryDate: '2026-12-01' },
    });
  });

  it('masks a delay notice the same way', () => {
    const notice = delayNotice(createNotificationSigner(Buffer.alloc(32, 3)), 'd-1', 'A-1', {
      previousDeliveryDate: '2026-12-01',
      newDeliveryDate: '2026-12-03',
      reason: 'rain',
      contact: { name: 'Kim Minji', phone: '+821012345678' },
    });
    const masked = maskPersonalFields(asJson(notice)) as { to: string; params: Record<string, unknown> };
    expect(JSON.stringify(masked)).not.toMatch(PERSONAL);
    expect(masked.params).toMatchObject({ buyerName: MASKED, newDeliveryDate: '2026-12-03', reason: 'rain' });
  });

  it('finds the fields wherever a message that failed its contract put them', () => {
    const odd = {
      version: 2,
      orders: [{ buyer: { id: 'b-1', name: 'Kim Minji', email: 'kim@example.com' }, address: { street: '12 Sejong-daero' } }],
      buyer_phone: '+821012345678',
    };
    expect(maskPersonalFields(odd)).toEqual({
      version: 2,
      orders: [{ buyer: { id: 'b-1', name: MASKED, email: MASKED }, address: { street: MASKED } }],
      buyer_phone: MASKED,
    });
  });

  it('leaves values without personal data as they are', () => {
    for (const value of [null, 3, 'text', [1, 'a'], { items: [{ name: 'Sweet corn 10 ears' }], orderId: 'A-1' }]) {
      expect(maskPersonalFields(value)).toEqual(value);
    }
  });
});

describe('maskStoredMessage', () => {
  it('masks the parsed body, writes the body bytes again from it, and masks personal headers', () => {
    const body = { type: 'notification.requested', to: '+821012345678', params: { buyerName: 'Kim Minji' } };
    const headers = { 'x-order-id': 'A-1', 'x-buyer-phone': '+821012345678', 'x-error-code': 'provider_rejected', traceparent: '00-abc-def-01' };
    const masked = maskStoredMessage({ body: Buffer.from(JSON.stringify(body)), bodyJson: body, headers });
    expect(masked.bodyJson).toEqual({ type: 'notification.requested', to: MASKED, params: { buyerName: MASKED } });
    expect(JSON.parse(masked.body.toString('utf8'))).toEqual(masked.bodyJson);
    expect(masked.headers).toEqual({ ...headers, 'x-buyer-phone': MASKED });
  });

  it('replaces a body that is not JSON with the marker, whatever it holds', () => {
    const masked = maskStoredMessage({ body: Buffer.from('Kim Minji +821012345678\u0000'), bodyJson: null, headers: {} });
    expect(masked.body.toString('utf8')).toBe(MASKED);
    expect(masked.bodyJson).toBeNull();
  });
});
