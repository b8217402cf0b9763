// What an actor file declares: its name, queues, message contract and handler. Everything that is
// the same for every actor (acks, retries, dead letters, batching, pausing) lives in actor-runtime.ts.
import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { ActorQueues } from './topology.js';

export type Incoming<T> = {
  body: T;
  messageId: string;
  /** Failed attempts before this delivery (0 on the first try). */
  attempt: number;
  redelivered: boolean;
  headers: Readonly<Record<string, unknown>>;
  traceId: string;
  /** traceparent to put on messages this one causes. */
  traceparent: string;
  logger: Logger;
};

export type Emit = {
  routingKey: string;
  body: unknown;
  messageId?: string;
  type?: string;
  headers?: Record<string, unknown>;
};

/** Per message: done (with the messages it causes), or failed with an error classified by its type. */
export type Outcome = { ok: true; emit?: Emit[] } | { ok: false; error: Error };

export type ActorDefinition<T> = {
  name: string;
  queues: ActorQueues;
  /** Contract versions this actor understands; any other is dead-lettered as unsupported_version. */
  versions: readonly number[];
  schema: z.ZodType<T>;
  /**
   * Optional fast path: true only for messages `schema` accepts and returns unchanged (the form
   * our own producers publish). They skip the schema; everything else is judged by it.
   */
  isCanonical?: (raw: unknown) => raw is T;
  /** The order a raw message concerns, for logs and dead-letter headers, even when it fails its schema. */
  orderIdOf(raw: unknown): string | undefined;
  /**
   * Handles the valid messages delivered together; returns one outcome per message, in order.
   * Throwing fails the whole batch with that error (e.g. the database is down).
   */
  handleBatch(messages: ReadonlyArray<Incoming<T>>): Promise<Outcome[]>;
};

/** Identity function that keeps an actor file's type parameters inferred. */
export function defineActor<T>(definition: ActorDefinition<T>): ActorDefinition<T> {
  return definition;
}

/** What the runtime reports about the messages it settles (metrics take these). */
export type ActorHooks = {
  /** Called once per settled message, for metrics. */
  onSettled?(actor: string, result: 'done' | 'retried' | 'dead-lettered', startedAt: number): void;
  /** Called once per handled batch with the handler's duration. */
  onBatch?(actor: string, size: number, seconds: number): void;
};
