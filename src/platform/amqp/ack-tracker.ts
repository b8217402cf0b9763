// Acknowledges deliveries of one channel with `multiple` where it can: one ack frame for a run of
// settled messages instead of one each (on quorum queues this roughly doubles consume throughput).
// Delivery tags on a channel are consecutive, so the run is the settled prefix of outstanding tags.
// A slow message at the head must not hold back everything behind it, so once many settled
// messages wait behind it they are acked one by one.
// With `defer`, acks settled in the same event-loop turn are gathered and the run is acked once,
// after them: a batch of 100 settled together costs one ack frame instead of 100.
import type { Channel, Message } from 'amqplib';

export type AckSink = {
  ack(deliveryTag: number, allUpTo: boolean): void;
};

export function createAckTracker(sink: AckSink, options: { maxWaiting: number; defer?: (run: () => void) => void }) {
  // Lowest tag not yet settled; tags start at 1 on every channel.
  let lowest = 1;
  // Settled tags above `lowest`: true = still to be acked, false = already done (nacked or acked alone).
  const settled = new Map<number, boolean>();
  let waiting = 0;

  function advance(): void {
    let top = 0;
    while (settled.has(lowest)) {
      if (settled.get(lowest)) {
        top = lowest;
        waiting--;
      }
      settled.delete(lowest);
      lowest++;
    }
    // Only a tag still outstanding may carry a multiple ack; it covers every outstanding tag below.
    if (top > 0) sink.ack(top, true);
  }

  let advanceScheduled = false;
  function advanceLater(): void {
    advanceScheduled = false;
    advance();
    if (waiting > options.maxWaiting) flushStragglers();
  }

  function flushStragglers(): void {
    for (const [tag, pending] of settled) {
      if (pending) {
        sink.ack(tag, false);
        settled.set(tag, false);
      }
    }
    waiting = 0;
  }

  return {
    /** Acks now every processed message still waiting (before closing): the run, then the rest one by one. */
    flush(): void {
      advance();
      flushStragglers();
    },
    /** The message was processed: ack it (now or as part of a run). */
    ack(tag: number): void {
      settled.set(tag, true);
      waiting++;
      if (options.defer) {
        if (!advanceScheduled) {
          advanceScheduled = true;
          options.defer(advanceLater);
        }
        return;
      }
      advance();
      if (waiting > options.maxWaiting) flushStragglers();
    },
    /** The message was nacked or rejected by the caller already: only its place in the run is settled. */
    done(tag: number): void {
      settled.set(tag, false);
      advance();
    },
  };
}

/**
 * The tracker of one consumer channel: acks go out on it, and at most half the prefetch waits
 * behind an unsettled message before a run is sent.
 */
export function channelAckTracker(ch: Pick<Channel, 'ack'>, prefetch: number) {
  return createAckTracker(
    {
      ack(deliveryTag, allUpTo) {
        try {
          ch.ack({ fields: { deliveryTag } } as Message, allUpTo);
        } catch {
          // The channel closed since delivery: the broker redelivers; handlers are idempotent.
        }
      },
    },
    { maxWaiting: Math.max(1, Math.floor(prefetch / 2)), defer: setImmediate },
  );
}
