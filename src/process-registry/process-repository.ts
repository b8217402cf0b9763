// All SQL on service_processes: a process's heartbeat (an upsert of its own row), its clean stop,
// the list every reader judges by the database's clock, and the pruning of long-gone rows.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../platform/database-schema.js';
import { statusOf, ZOOKEEPER_STATES, type ServiceProcess } from './service-process.js';

type Q = Kysely<Database>;

/** What a process writes about itself on every heartbeat: what it lists as, with times as dates. */
export type ProcessBeat = Pick<ServiceProcess, 'id' | 'role' | 'host' | 'pid' | 'heartbeatMs' | 'brokerNodes'> & {
  startedAt: Date;
  zookeeper: { state: ServiceProcess['zookeeper']['state']; since: Date; stale: boolean };
};

export type ProcessRepository = ReturnType<typeof createProcessRepository>;

/** A state written by an older or newer release than this one is shown as it would be least misread. */
const knownState = (s: string) => ZOOKEEPER_STATES.find((k) => k === s) ?? 'disconnected';

/** Running processes first, by role, host and pid; the gone ones after them, in the order given. */
function byStatus(a: ServiceProcess, b: ServiceProcess): number {
  if (a.status !== b.status) return a.status === 'running' ? -1 : 1;
  return a.status === 'running' ? a.role.localeCompare(b.role) || a.host.localeCompare(b.host) || a.pid - b.pid : 0;
}

export function createProcessRepository() {
  return {
    async beat(q: Q, b: ProcessBeat): Promise<void> {
      const changing = {
        heartbeat_ms: b.heartbeatMs,
        zookeeper_state: b.zookeeper.state,
        zookeeper_since: b.zookeeper.since.toISOString(),
        switches_stale: b.zookeeper.stale,
        broker_nodes: JSON.stringify(b.brokerNodes),
      };
      await q
        .insertInto('service_processes')
        .values({ id: b.id, role: b.role, host: b.host, pid: b.pid, started_at: b.startedAt.toISOString(), ...changing })
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...changing, last_seen_at: sql<string>`now()` }))
        .execute();
    },

    async markStopped(q: Q, id: string): Promise<void> {
      await q
        .updateTable('service_processes')
        .set({ stopped_at: sql<string>`now()` })
        .where('id', '=', id)
        .execute();
    },

    /** Running processes first (by role, host, pid), then the gone ones, last seen first. */
    async list(q: Q, limit = 500): Promise<ServiceProcess[]> {
      const rows = await q
        .selectFrom('service_processes')
        .selectAll()
        .select(sql<Date>`now()`.as('db_now'))
        .orderBy('last_seen_at', 'desc')
        .limit(limit)
        .execute();
      const processes = rows.map((r) => ({
        id: r.id,
        role: r.role,
        host: r.host,
        pid: r.pid,
        startedAt: r.started_at.toISOString(),
        lastSeenAt: r.last_seen_at.toISOString(),
        lastSeenAgoMs: Math.max(0, r.db_now.getTime() - r.last_seen_at.getTime()),
        stoppedAt: r.stopped_at?.toISOString() ?? null,
        status: statusOf({ stoppedAt: r.stopped_at, lastSeenAt: r.last_seen_at, heartbeatMs: r.heartbeat_ms }, r.db_now),
        heartbeatMs: r.heartbeat_ms,
        zookeeper: { state: knownState(r.zookeeper_state), since: r.zookeeper_since.toISOString(), switchesStale: r.switches_stale },
        brokerNodes: r.broker_nodes,
      }));
      // sort is stable: the gone ones keep the query's order, last seen first.
      return processes.sort(byStatus);
    },

    /** Deletes rows not seen for `olderThanMs`; returns how many. */
    async prune(q: Q, olderThanMs: number): Promise<number> {
      const result = await q
        .deleteFrom('service_processes')
        .where('last_seen_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
