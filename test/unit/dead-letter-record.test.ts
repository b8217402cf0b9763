// How a message on the dead-letter queue becomes a failed_messages row, and a row a replay: our own
// dead letters, the broker's (x-death only), redeliveries, replays failing again, and bodies
// PostgreSQL could not store as JSON.
import type { MessageProperties } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { readDeadLetter, replayMessage } from '../../src/dead-letters/dead-letter-record.js';
import { failureFingerprint, normaliseErrorMessage } from '../../src/dead-letters/failure-fingerprint.js';
import { describeTopology } from '../../src/platform/amqp/topology.js';

const topology = describeTopology({ prefix: 'orders', retryDelaysMs: [1000, 10000], deliveryLimit: 20 });

function message(content: string | Buffer, headers: Record<string, unknown>, props: Partial<MessageProperties> = {}) {
  return {
    content: Buffer.isBuffer(content) ? content : Buffer.from(content),
    properties: { contentType: 'application/json', messageId: 'm-1', headers, ...props } as MessageProperties,
  };
}

const ours = {
  'x-attempt': 4,
  'x-first-failed-at': '2026-11-27T09:00:00.000Z',
  'x-last-failed-at': '2026-11-27T09:01:11.000Z',
  'x-error-code': 'provider_unavailable',
  'x-error-message': 'Messaging API failed (500): {"error":"internal"}',
  'x-error-stack': 'RetryableError: Messaging API failed\n    at send',
  'x-error-class': 'retryable',
  'x-dead-letter-reason': 'retries_exhausted',
  'x-actor': 'notification',
  'x-original-queue': 'orders.notification',
  'x-original-routing-key': 'orders.notification',
  'x-order-id': 'A-1001',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
};

describe('a dead letter from the actor runtime', () => {
  it('keeps every diagnostic header as a column', () => {
    const d = readDeadLetter(message('{"type":"notification.requested","orderId":"A-1001"}', ours), topology);
    expect(d).toMatchObject({
      messageId: 'm-1',
      actor: 'notification',
      originalQueue: 'orders.notification',
      routingKey: 'orders.notification',
      errorCode: 'provider_unavailable',
      errorClass: 'retryable',
      deadLetterReason: 'retries_exhausted',
      attempts: 4,
      orderId: 'A-1001',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      bodyJson: { type: 'notification.requested', orderId: 'A-1001' },
      replayOf: undefined,
    });
    expect(d.firstFailedAt.toISOString()).toBe('2026-11-27T09:00:00.000Z');
    expect(d.lastFailedAt.toISOString()).toBe('2026-11-27T09:01:11.000Z');
    expect(d.errorStack).toContain('RetryableError');
    expect(d.fingerprint).toBe(failureFingerprint('notification', 'provider_unavailable', ours['x-error-message']));
  });

  it('is the same dead letter when redelivered with a new delivery count', () => {
    const a = readDeadLetter(message('{}', ours), topology);
    const b = readDeadLetter(message('{}', { 'x-delivery-count': 3, ...ours }), topology);
    expect(b.dedupKey).toBe(a.dedupKey);
  });

  it('is a new dead letter when the same message fails again after a replay', () => {
    const first = readDeadLetter(message('{}', ours), topology);
    const again = readDeadLetter(message('{}', { ...ours, 'x-replay-of': 17, 'x-last-failed-at': '2026-11-27T10:00:00.000Z' }), topology);
    expect(again.dedupKey).not.toBe(first.dedupKey);
    expect(again.replayOf).toBe(17);
    expect(again.fingerprint).toBe(first.fingerprint);
  });

  it('stores a body that is not JSON as bytes only, and never text PostgreSQL refuses', () => {
    const d = readDeadLetter(
      message(Buffer.from([0xff, 0x00, 0x41]), { ...ours, 'x-error-message': 'bad\u0000byte' }, { contentType: 'application/octet-stream' }),
      topology,
    );
    expect(d.bodyJson).toBeUndefined();
    expect(d.body).toEqual(Buffer.from([0xff, 0x00, 0x41]));
    expect(d.errorMessage).toBe('badbyte');
    expect(d.properties).toMatchObject({ contentType: 'application/octet-stream' });
    const nul = readDeadLetter(message('{"a":"\\u0000"}', ours), topology);
    expect(nul.bodyJson).toBeUndefined();
  });

  it('names the message by its body when it has no message id', () => {
    const d = readDeadLetter(message('not json', ours, { messageId: undefined }), topology);
    expect(d.messageId).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('a dead letter from the broker itself (quorum delivery limit)', () => {
  const deathTime = { '!': 'timestamp', value: 1_795_770_000 };
  const headers = {
    'x-first-death-queue': 'orders.business.retry-1s',
    'x-first-death-reason': 'expired',
    'x-death': [
      { queue: 'orders.business', reason: 'delivery_limit', count: 1, time: deathTime, 'routing-keys': ['orders.business'], exchange: 'orders' },
      {
        queue: 'orders.business.retry-1s',
        reason: 'expired',
        count: 1,
        time: { '!': 'timestamp', value: 1_795_769_990 },
        'routing-keys': ['orders.business.retry-1s'],
      },
    ],
    'x-attempt': 1,
    'x-error-code': 'db_unavailable',
    'x-order-id': 'A-2002',
  };

  it('is stored with what x-death tells: queue, actor, reason and time', () => {
    const d = readDeadLetter(message('{"type":"order.submitted"}', headers), topology);
    expect(d).toMatchObject({
      actor: 'business',
      originalQueue: 'orders.business',
      routingKey: 'orders.business',
      errorCode: 'broker_delivery_limit',
      errorClass: 'broker',
      deadLetterReason: 'delivery_limit',
      attempts: 1,
      orderId: 'A-2002',
    });
    expect(d.errorMessage).toContain('consumer probably crashed');
    expect(d.errorMessage).toContain('db_unavailable');
    expect(d.lastFailedAt.toISOString()).toBe(new Date(1_795_770_000_000).toISOString());
    expect(d.headers['x-death']).toEqual(headers['x-death']);
  });
});

describe('a replay', () => {
  it('sends the original body and properties without the failure headers, linked to its row', () => {
    const d = readDeadLetter(
      message(
        '{}',
        { ...ours, 'x-death': [{ queue: 'q', reason: 'expired' }], 'x-custom': 'kept', 'x-bytes': Buffer.from('hi') },
        { type: 'notification.requested', timestamp: 1234, contentType: 'text/plain' },
      ),
      topology,
    );
    const options = replayMessage({ id: 42, messageId: d.messageId, headers: d.headers, properties: d.properties });
    expect(options).toMatchObject({ messageId: 'm-1', type: 'notification.requested', timestamp: 1234, contentType: 'text/plain' });
    expect(options.headers).toEqual({
      'x-order-id': 'A-1001',
      traceparent: ours.traceparent,
      'x-custom': 'kept',
      'x-bytes': Buffer.from('hi'),
      'x-replay-of': 42,
    });
  });
});

describe('failure fingerprints', () => {
  it('group the same cause across orders, ids, numbers and times', () => {
    expect(normaliseErrorMessage('Order T-lx1ab-9f3c21aa was already accepted with different content')).toBe(
      'Order <id> was already accepted with different content',
    );
    expect(normaliseErrorMessage('Message of 70000 bytes exceeds the 65536-byte limit')).toBe('Message of # bytes exceeds the <id> limit');
    expect(normaliseErrorMessage('job 3f2b8c1e-0d5a-4e77-9a61-2b1c0e9d7f10 failed at 2026-11-27T09:00:00.123Z')).toBe('job <uuid> failed at <time>');
    expect(normaliseErrorMessage('Message fails its contract: order.items.0.quantity: Too small')).toBe(
      'Message fails its contract: order.items.#.quantity: Too small',
    );
    expect(failureFingerprint('business', 'order_conflict', 'Order A-1 was already accepted')).toBe(
      failureFingerprint('business', 'order_conflict', 'Order B-77 was already accepted'),
    );
    expect(failureFingerprint('business', 'order_conflict', 'x')).not.toBe(failureFingerprint('notification', 'order_conflict', 'x'));
    expect(failureFingerprint('business', 'a', 'x')).toMatch(/^[0-9a-f]{16}$/);
  });
});
