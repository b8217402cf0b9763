// Admission control for intake: refuse (503 + Retry-After) what the broker cannot take right now,
// instead of queueing it in memory or drowning RabbitMQ. Every 202 stays a promise kept.
import { AppError } from '../platform/errors.js';

export class OverloadedError extends AppError {
  constructor(message: string) {
    super('overloaded', message, { retryable: true });
  }
}

export function createIntakeGuard(deps: {
  isBrokerBlocked(): boolean;
  queueDepth(): number | undefined;
  maxQueueDepth: number;
  publishesInFlight(): number;
  maxPublishesInFlight: number;
  isPublisherDraining(): boolean;
  onRefused?(reason: string): void;
}) {
  const refuse = (reason: string, message: string): never => {
    deps.onRefused?.(reason);
    throw new OverloadedError(message);
  };
  return function admit(): void {
    if (deps.isBrokerBlocked()) refuse('broker_blocked', 'RabbitMQ is refusing new messages (resource alarm); retry shortly');
    const depth = deps.queueDepth();
    if (depth !== undefined && depth > deps.maxQueueDepth) {
      refuse('queue_full', `The order queue holds ${depth} messages (limit ${deps.maxQueueDepth}); retry shortly`);
    }
    if (deps.isPublisherDraining()) refuse('publish_backlog', 'The connection to RabbitMQ is saturated; retry shortly');
    if (deps.publishesInFlight() >= deps.maxPublishesInFlight) {
      refuse('publish_backlog', 'Too many orders are waiting for the broker; retry shortly');
    }
  };
}
