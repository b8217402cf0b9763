// This process's row among the deployment's processes: written at start, upserted every heartbeat
// with how its ZooKeeper session and broker connections stand, marked stopped on a clean shutdown;
// and the list of every process, for the admin route, the console and the CLI.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Db } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import type { ProcessBeat, ProcessRepository } from './process-repository.js';
import type { ProcessList } from './service-process.js';

/** A gone process stays listed this long, so a crash at night is still seen in the morning. */
export const PRUNE_AFTER_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;

/** How this process stands now, asked on every heartbeat. */
export type ProcessReport = () => Pick<ProcessBeat, 'zookeeper' | 'brokerNodes'>;

export type ProcessRegistry = ReturnType<typeof createProcessRegistry>;

export function createProcessRegistry(deps: {
  db: Db;
  processes: ProcessRepository;
  role: string;
  heartbeatMs: number;
  report: ProcessReport;
  logger: Logger;
}) {
  const { db, processes, heartbeatMs } = deps;
  const logger = deps.logger.child({ module: 'process-registry' });
  const host = os.hostname();
  // Readable in a list, unique across restarts that reuse a pid (containers start at pid 1).
  const self = { id: `${host}:${process.pid}:${randomBytes(3).toString('hex')}`, role: deps.role, host, pid: process.pid, startedAt: new Date() };
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> | undefined;
  let lastPrunedAt = 0;

  async function beat(): Promise<void> {
    try {
      await processes.beat(db, { ...self, heartbeatMs, ...deps.report() });
      if (Date.now() - lastPrunedAt >= PRUNE_EVERY_MS) {
        lastPrunedAt = Date.now();
        const pruned = await processes.prune(db, PRUNE_AFTER_MS);
        if (pruned > 0) logger.info({ pruned }, 'forgot processes gone for a day');
      }
    } catch (err) {
      // The database away is seen elsewhere (readiness, the actors); here it only makes this process look gone for a while.
      logger.warn({ err }, 'could not write this process’s heartbeat; trying again at the next one');
    }
  }

  const beatOnce = () => (beating ??= beat().finally(() => (beating = undefined)));

  return {
    id: self.id,
    /** Writes the first heartbeat (so the process is listed before it serves), then one every heartbeatMs. */
    async start(): Promise<void> {
      await beatOnce();
      timer = setInterval(() => void beatOnce(), heartbeatMs);
      timer.unref();
    },
    /** Stops the heartbeats and says the process stopped, so it shows as gone at once. */
    async stop(): Promise<void> {
      clearInterval(timer);
      await beating;
      await processes.markStopped(db, self.id).catch((err: unknown) => logger.warn({ err }, 'could not mark this process stopped; it will show as gone later'));
    },
    async list(): Promise<ProcessList> {
      return { answeredBy: self.id, processes: await processes.list(db) };
    },
  };
}
