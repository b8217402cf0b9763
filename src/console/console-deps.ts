// What the console is given by the composition root: the same use cases the /admin routes call,
// so a change made here is validated and audited exactly as one made over REST.
import type { DeadLetterService } from '../dead-letters/dead-letter-service.js';
import type { ReplayDryRun } from '../dead-letters/replay-dry-run.js';
import type { DelayProgress } from '../delivery-delays/delay-repository.js';
import type { OrderTimelineLookup } from '../orders/order-timeline-lookup.js';
import type { QueueRow } from '../platform/amqp/queue-overview.js';
import type { ProcessList } from '../process-registry/service-process.js';
import type { SwitchAdmin } from '../switch-admin/switch-admin.js';
import type { SwitchGuardAdmin } from '../switch-admin/switch-guard.js';
import type { SwitchPreview } from '../switch-admin/switch-preview.js';
import type { SwitchScheduleAdmin } from '../switch-admin/switch-schedule.js';

export type ConsoleDeps = {
  adminToken: string | undefined;
  deadLetters: {
    service: Pick<DeadLetterService, 'groups' | 'list' | 'show' | 'replayMany' | 'discard'>;
    dryRun: ReplayDryRun;
    /** How long a replay watches its first messages come back (the REST default). */
    probeWaitMs: number;
  };
  switches: { admin: SwitchAdmin; preview: SwitchPreview; guards: SwitchGuardAdmin; schedule: SwitchScheduleAdmin };
  orderTimeline: OrderTimelineLookup;
  /** The newest delivery delays with their progress, newest first. */
  recentDelays: (limit: number) => Promise<DelayProgress[]>;
  /** Every queue with its last sample (this process samples them for intake). */
  queues: () => QueueRow[];
  /** Every process of the deployment, as GET /admin/processes lists them. */
  processes: () => Promise<ProcessList>;
};
