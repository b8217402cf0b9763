// What replaying a notification would do now, for a replay's dry run: whether the actor would take
// it at all (its signature), the template the switch picks, and whether the buyer was already told
// under its idempotency key (then a replay sends nothing). Reads only.
import type { Db } from '../platform/db.js';
import type { SwitchReader } from '../platform/runtime-switches/switch-reader.js';
import type { DeliveryRepository } from './delivery-repository.js';
import { forged, NOTIFICATION_CONTRACT } from './notification-actor.js';
import type { NotificationRequested } from './notification-messages.js';
import type { NotificationSigner } from './notification-signature.js';
import { TEMPLATE_V2_SWITCH, templateFor } from './notification-switches.js';

export function createNotificationReplayForecast(deps: {
  db: Db;
  switches: Pick<SwitchReader, 'takesNewPath'>;
  deliveries: Pick<DeliveryRepository, 'deliveredKeys'>;
  signer: Pick<NotificationSigner, 'verify'>;
}) {
  return {
    contract: NOTIFICATION_CONTRACT,
    refuse: (notice: NotificationRequested) => (deps.signer.verify(notice) ? undefined : forged()),
    async forecast(notices: readonly NotificationRequested[]) {
      const told = await deps.deliveries.deliveredKeys(
        deps.db,
        notices.map((n) => n.idempotencyKey),
      );
      return notices.map((n) => {
        const { template, path } = templateFor(n, deps.switches);
        return {
          path: { path: `template-${template}`, ...(path ? { switch: { name: TEMPLATE_V2_SWITCH, newPath: path === 'new' } } : {}) },
          buyerTold: told.has(n.idempotencyKey),
        };
      });
    },
  };
}
