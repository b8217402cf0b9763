// A process of the deployment as operators see it (GET /admin/processes, the console's overview,
// `order-actors processes`), and the one rule that says whether it still runs.
import { z } from 'zod';

export const ZOOKEEPER_STATES = ['connecting', 'connected', 'disconnected', 'expired', 'closed'] as const;

/** A process that missed this many of its own heartbeats in a row is shown as gone. */
export const GONE_AFTER_BEATS = 4;

const BrokerNodeSchema = z.object({ connection: z.string(), node: z.string().nullable() });

export const ServiceProcessSchema = z.object({
  id: z.string(),
  role: z.string(),
  host: z.string(),
  pid: z.number().int(),
  startedAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  /** How long ago that was, by the database's clock (the one every heartbeat is written with). */
  lastSeenAgoMs: z.number().int(),
  /** When it shut down cleanly; null while it runs, or when it vanished without a word. */
  stoppedAt: z.iso.datetime().nullable(),
  /** gone: stopped, or not seen for GONE_AFTER_BEATS of its heartbeats (crashed, cut off, stuck). */
  status: z.enum(['running', 'gone']),
  heartbeatMs: z.number().int(),
  /** As the process last reported it: for a gone process, how it stood when last seen. */
  zookeeper: z.object({ state: z.enum(ZOOKEEPER_STATES), since: z.iso.datetime(), switchesStale: z.boolean() }),
  /** Each AMQP connection of the process and the broker node it uses (null while reconnecting). */
  brokerNodes: z.array(BrokerNodeSchema),
});

export type ServiceProcess = z.infer<typeof ServiceProcessSchema>;
export type BrokerNode = z.infer<typeof BrokerNodeSchema>;

export const ProcessListSchema = z.object({
  /** The id of the process that answered, so a reader can tell "this one" apart. */
  answeredBy: z.string(),
  processes: z.array(ServiceProcessSchema),
});

export type ProcessList = z.infer<typeof ProcessListSchema>;

/** Judged by the database's clock on both sides, so hosts whose clocks differ still agree. */
export function statusOf(p: { stoppedAt: Date | null; lastSeenAt: Date; heartbeatMs: number }, now: Date): ServiceProcess['status'] {
  if (p.stoppedAt) return 'gone';
  return now.getTime() - p.lastSeenAt.getTime() > GONE_AFTER_BEATS * p.heartbeatMs ? 'gone' : 'running';
}
