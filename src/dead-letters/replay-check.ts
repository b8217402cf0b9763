// How a replay's dry run judges a stored message as the actor it goes back to would, without
// handing it to that actor: the message decoder's checks (size, content type, JSON, version,
// contract) on the bytes and properties a replay would publish, the actor's own refusals, and what
// its feature forecasts (the code path the switches pick, whether the buyer was already told).
// Features supply their part through the composition root; this file knows none of them.
import type { ConsumeMessage } from 'amqplib';
import type { ActorDefinition } from '../platform/amqp/actor.js';
import { decodeMessage } from '../platform/amqp/message-decoder.js';
import type { PublishOptions } from '../platform/amqp/publisher.js';
import type { PermanentError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';

/** The code path a message would take; `switch` when a percentage switch decides it for its order. */
export type PathForecast = { path: string; switch?: { name: string; newPath: boolean } | undefined };

export type Forecast = { path: PathForecast; buyerTold: boolean };

/** What a feature gives for its actor. */
export type ActorReplayCheck<T> = {
  contract: Pick<ActorDefinition<T>, 'versions' | 'schema' | 'isCanonical' | 'orderIdOf'>;
  /** A check the actor makes past its contract before any work (a notice's signature): the error it would fail with. */
  refuse?: ((body: T) => PermanentError | undefined) | undefined;
  /** For messages that pass every check: their path now and whether their buyer was already told. Reads only. */
  forecast(bodies: readonly T[]): Promise<Forecast[]>;
};

export type CheckResult = {
  /** The message's type, from its body when it is readable, else from its properties. */
  type: string | null;
  validation: { passes: true } | { passes: false; errorCode: string; message: string };
  /** Null when it fails validation: the actor would not get as far as choosing a path. */
  forecast: Forecast | null;
};

/** Judges stored messages, in order, as one actor would. */
export type ReplayCheck = (messages: ReadonlyArray<{ body: Buffer; publish: PublishOptions }>) => Promise<CheckResult[]>;

/** The delivery a replay would cause, as the actor's consumer would receive it. */
function asDelivery(body: Buffer, publish: PublishOptions): ConsumeMessage {
  return {
    content: body,
    fields: { deliveryTag: 0, redelivered: false, exchange: '', routingKey: '', consumerTag: 'replay-dry-run' },
    properties: {
      // The publisher sends application/json when given nothing, and none when given null.
      contentType: publish.contentType === undefined ? 'application/json' : (publish.contentType ?? undefined),
      contentEncoding: publish.contentEncoding,
      headers: publish.headers ?? {},
      deliveryMode: 2,
      priority: undefined,
      correlationId: publish.correlationId,
      replyTo: undefined,
      expiration: undefined,
      messageId: publish.messageId,
      timestamp: publish.timestamp,
      type: publish.type,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
    },
  };
}

const typeOf = (raw: unknown, publish: PublishOptions): string | null => {
  const t = (raw as { type?: unknown } | null | undefined)?.type;
  return typeof t === 'string' ? t.slice(0, 100) : (publish.type ?? null);
};

export function replayCheck<T>(check: ActorReplayCheck<T>, limits: { maxMessageBytes: number; maxAttempts: number }, logger: Logger): ReplayCheck {
  return async (messages) => {
    const decoded = messages.map(({ body, publish }) => {
      const result = decodeMessage(asDelivery(body, publish), check.contract, limits, logger);
      if ('error' in result) return { ok: false as const, type: typeOf(result.raw, publish), error: result.error };
      const type = typeOf(result.incoming.body, publish);
      const refused = check.refuse?.(result.incoming.body);
      return refused ? { ok: false as const, type, error: refused } : { ok: true as const, type, body: result.incoming.body };
    });
    const valid = decoded.flatMap((d) => (d.ok ? [d.body] : []));
    const forecasts = await check.forecast(valid);
    let k = 0;
    return decoded.map((d): CheckResult =>
      d.ok
        ? { type: d.type, validation: { passes: true }, forecast: forecasts[k++]! }
        : { type: d.type, validation: { passes: false, errorCode: d.error.code, message: d.error.message }, forecast: null },
    );
  };
}
