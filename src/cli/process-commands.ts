// `order-actors processes`: the deployment's processes, read from their heartbeat rows as GET
// /admin/processes lists them, so an operator can see them without a running service to ask.
import type { Command } from 'commander';
import { createProcessRepository } from '../process-registry/process-repository.js';
import { withCliContext } from './cli-context.js';
import { printResult } from './terminal-text.js';
import { textTable } from './text-table.js';

export function registerProcessCommands(program: Command): void {
  program
    .command('processes')
    .description('every process of the deployment: role, host and pid, last seen, ZooKeeper session, broker nodes; gone ones last')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const processes = await withCliContext(async ({ db }) => createProcessRepository().list(await db()));
      printResult(opts.json, { processes }, () =>
        textTable(
          ['STATUS', 'ROLE', 'HOST', 'PID', 'STARTED', 'LAST SEEN', 'ZOOKEEPER', 'SWITCHES', 'BROKER NODES'],
          processes.map((p) => [
            p.stoppedAt ? `gone (stopped ${p.stoppedAt})` : p.status,
            p.role,
            p.host,
            String(p.pid),
            p.startedAt,
            p.lastSeenAt,
            `${p.zookeeper.state} since ${p.zookeeper.since}`,
            p.zookeeper.switchesStale ? 'stale' : 'current',
            p.brokerNodes.map((b) => `${b.connection}=${b.node ?? 'not-connected'}`).join(' '),
          ]),
          120,
        ),
      );
    });
}
