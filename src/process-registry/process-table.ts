// Row type of the processes' heartbeats, as kysely sees it. Rows never leave the repository.
import type { ColumnType, JSONColumnType } from 'kysely';
import type { BrokerNode } from './service-process.js';

export type ServiceProcessesTable = {
  id: string;
  role: string;
  host: string;
  pid: number;
  started_at: ColumnType<Date, string, never>;
  /** Set by the database's clock (now()) on every heartbeat. */
  last_seen_at: ColumnType<Date, never, string>;
  stopped_at: ColumnType<Date | null, never, string>;
  heartbeat_ms: number;
  zookeeper_state: string;
  zookeeper_since: ColumnType<Date, string, string>;
  switches_stale: boolean;
  broker_nodes: JSONColumnType<BrokerNode[], string, string>;
};

// This feature's table in the one Database type every query is checked against.
declare module '../platform/database-schema.js' {
  interface Database {
    service_processes: ServiceProcessesTable;
  }
}
