// What a failed message carries into its retry tier or the dead-letter queue.
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { failureHeaders } from '../../src/platform/amqp/failure-headers.js';
import { PermanentError, RetryableError } from '../../src/platform/errors.js';

const msg = (headers: Record<string, unknown>) => ({ properties: { headers }, fields: { routingKey: 'orders.business' } }) as unknown as ConsumeMessage;
const now = new Date('2026-12-06T03:00:00.000Z');

describe('failure headers', () => {
  it('keep every header the message had and say why, where and how often it failed', () => {
    const headers = failureHeaders(msg({ 'x-custom': 'kept', 'x-first-failed-at': '2026-12-06T02:00:00.000Z' }), {
      error: new RetryableError('provider_unavailable', 'Messaging API failed (500)'),
      decision: { action: 'retry', attempt: 2, queue: 'orders.retry.1', delayMs: 10_000 },
      actor: 'notification',
      queue: 'orders.notification',
      shard: 0,
      orderId: 'A-1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      now,
    });
    expect(headers).toMatchObject({
      'x-custom': 'kept',
      'x-attempt': 2,
      'x-first-failed-at': '2026-12-06T02:00:00.000Z',
      'x-last-failed-at': '2026-12-06T03:00:00.000Z',
      'x-error-code': 'provider_unavailable',
      'x-error-class': 'retryable',
      'x-actor': 'notification',
      'x-original-queue': 'orders.notification',
      'x-shard': 0,
      'x-original-routing-key': 'orders.business',
      'x-order-id': 'A-1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(headers).not.toHaveProperty('x-dead-letter-reason');
  });

  it('name the dead-letter reason, bound the error text, and keep a traceparent the message had', () => {
    const headers = failureHeaders(msg({ traceparent: 'original' }), {
      error: new PermanentError('invalid_message', 'x'.repeat(2_000)),
      decision: { action: 'dead-letter', attempt: 1, reason: 'permanent' },
      actor: 'business',
      queue: 'orders.business',
      shard: 0,
      orderId: undefined,
      traceparent: 'new',
      now,
    });
    expect(headers).toMatchObject({ 'x-dead-letter-reason': 'permanent', 'x-error-class': 'permanent', traceparent: 'original' });
    expect(String(headers['x-error-message'])).toHaveLength(500);
    expect(headers).not.toHaveProperty('x-order-id');
  });
});
