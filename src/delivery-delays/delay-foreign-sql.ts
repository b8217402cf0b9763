// What a delay's statements need from other features' tables, as SQL those features write and the
// composition root hands in: the orders a delay concerns and how their dates move (orders), whether
// a notice was delivered (notifications), and a failure stored for it (dead letters). The date
// change stays set-based, in the same statement as the delay's own bookkeeping, while the SQL on
// each table stays with the feature that owns it.
import type { Kysely, RawBuilder } from 'kysely';
import type { Database } from '../platform/database-schema.js';

export type DelayForeignSql = {
  orders: {
    /**
     * A select of (delay_id, order_id, previous_delivery_date) for the orders a delay concerns: a
     * seller's orders due on a date, or the listed ones not already due on the new date.
     */
    affected(
      q: Kysely<Database>,
      delayId: string,
      scope: { sellerId: string; orderIds?: readonly string[]; requestedDeliveryDate?: string; newDeliveryDate: string },
    ): RawBuilder<unknown>;
    /** `left join` of the order of `alias`.order_id, read by `present` and `contact`. */
    joinOn(alias: string): RawBuilder<unknown>;
    /** Whether the joined order is stored (`as present`, when named by the caller). */
    present: RawBuilder<boolean>;
    /** The joined order's buyer as columns `phone` and `name`. */
    contact: RawBuilder<unknown>;
    /** Whether the order `orderIdRef` names is stored. */
    exists(orderIdRef: RawBuilder<unknown>): RawBuilder<boolean>;
    /**
     * An update moving the dates of the orders `source` lists (order_id, new_delivery_date,
     * created_at: the delay's), never undoing a newer delay of the same order.
     */
    moveDates(source: RawBuilder<unknown>): RawBuilder<unknown>;
  };
  /** When the notice with idempotency key `key` was delivered (null while it is not). */
  deliveredAt(key: RawBuilder<unknown>): RawBuilder<Date | null>;
  /** When the last failure of the messages `messageIds` was stored, while it is not replayed. */
  lastFailureAt(messageIds: readonly RawBuilder<unknown>[]): RawBuilder<Date | null>;
};
