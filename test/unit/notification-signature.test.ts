import { describe, expect, it } from 'vitest';
import { notificationRequested } from '../../src/notifications/notification-messages.js';
import { createNotificationSigner } from '../../src/notifications/notification-signature.js';

const signer = createNotificationSigner(Buffer.alloc(32, 1));
const notice = signer.sign(
  notificationRequested({ orderId: 'A-1', kind: 'order-confirmed', to: '+821012345678', params: { orderId: 'A-1', buyerName: 'Kim', total: 18_900 } }),
);

describe('notification signatures', () => {
  it('a notice the service signed verifies, also after a trip through JSON', () => {
    expect(notice.signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(notice)).toBe(true);
    expect(signer.verify(JSON.parse(JSON.stringify(notice)) as typeof notice)).toBe(true);
  });

  it.each([
    ['the number', { to: '+821099990000' }],
    ['a word of the text', { params: { ...notice.params, buyerName: 'Lee' } }],
    ['the order', { orderId: 'A-2' }],
    ['the idempotency key', { idempotencyKey: 'order-confirmed:A-2' }],
    ['the kind', { kind: 'delivery-delayed' as const }],
  ])('changing %s breaks it', (_what, change) => {
    expect(signer.verify({ ...notice, ...change })).toBe(false);
  });

  it("another key's signature, or a truncated one, does not verify", () => {
    expect(createNotificationSigner(Buffer.alloc(32, 2)).verify(notice)).toBe(false);
    expect(signer.verify({ ...notice, signature: notice.signature.slice(0, 42) })).toBe(false);
    expect(signer.verify({ ...notice, signature: '' })).toBe(false);
  });
});
