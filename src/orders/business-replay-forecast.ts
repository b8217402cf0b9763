// What replaying a business message would do now, for a replay's dry run: the pricing rule the
// switch picks for a submitted order (as the business step asks it), and whether the buyer was
// already told. It reads the deliveries through what the notifications feature exports; it writes nothing.
import type { DeliveryRepository } from '../notifications/delivery-repository.js';
import { idempotencyKey } from '../notifications/notification-messages.js';
import type { Db } from '../platform/db.js';
import type { SwitchReader } from '../platform/runtime-switches/switch-reader.js';
import { BUSINESS_CONTRACT, type BusinessMessage } from './business-actor.js';
import { RULES_V2_SWITCH, ruleVersionFor } from './order-switches.js';

/** The notice a business message leads to: the key its delivery is recorded under. */
const noticeKey = (m: BusinessMessage) =>
  m.type === 'order.submitted' ? idempotencyKey('order-confirmed', m.order.orderId) : idempotencyKey('delivery-delayed', m.orderId, m.delayId);

export function createBusinessReplayForecast(deps: {
  db: Db;
  switches: Pick<SwitchReader, 'takesNewPath'>;
  deliveries: Pick<DeliveryRepository, 'deliveredKeys'>;
}) {
  return {
    contract: BUSINESS_CONTRACT,
    async forecast(messages: readonly BusinessMessage[]) {
      const told = await deps.deliveries.deliveredKeys(deps.db, messages.map(noticeKey));
      return messages.map((m) => {
        const buyerTold = told.has(noticeKey(m));
        if (m.type === 'delivery.delayed') return { path: { path: 'delivery-delay' }, buyerTold };
        const rule = ruleVersionFor(deps.switches, m.order.orderId);
        return { path: { path: `pricing-rule-v${rule}`, switch: { name: RULES_V2_SWITCH, newPath: rule === 2 } }, buyerTold };
      });
    },
  };
}
