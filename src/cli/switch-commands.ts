// `order-actors switches …`: the operator's view of the switches, talking to ZooKeeper and
// PostgreSQL directly (no running service needed), through the same use cases as the admin routes.
import os from 'node:os';
import type { Command } from 'commander';
import { KNOWN_SWITCHES } from '../known-switches.js';
import { createSwitchAdmin, type SwitchAdmin } from '../switch-admin/switch-admin.js';
import { createSwitchChangeRepository, type SwitchChangeEntry } from '../switch-admin/switch-change-repository.js';
import { createZookeeperSwitches } from '../switch-admin/zookeeper-switches.js';
import { withCliContext } from './cli-context.js';
import { printResult } from './terminal-text.js';

function withSwitchAdmin<T>(work: (admin: SwitchAdmin) => Promise<T>): Promise<T> {
  return withCliContext(async ({ config, logger, shutdown, db }) => {
    const switches = createZookeeperSwitches(config, KNOWN_SWITCHES, logger);
    shutdown.add('ZooKeeper session', () => switches.close());
    const { synced } = await switches.start();
    if (!synced) {
      throw new Error(`ZooKeeper at ${config.ZK_CONNECT} did not answer within ${config.ZK_START_TIMEOUT_MS} ms; nothing was read or changed`);
    }
    return work(createSwitchAdmin({ db: await db(), switches, changes: createSwitchChangeRepository() }));
  });
}

/** Columns padded to their widest cell. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

function describeChange(c: SwitchChangeEntry | null): string {
  if (!c) return '-';
  return `${c.at} ${c.oldValue ?? '(none)'} → ${c.newValue} via ${c.source} by ${c.actor}`;
}

const print = printResult;

export function registerSwitchCommands(program: Command): void {
  const switches = program.command('switches').description('look at, flip and audit the ZooKeeper switches');

  switches
    .command('list')
    .description('every switch with its value, default and last change')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { stale, switches: all } = await withSwitchAdmin((a) => a.list());
      print(opts.json, { stale, switches: all }, () => {
        const rows = all.map((s) => [s.name, String(s.value), String(s.default), s.kind, describeChange(s.lastChange)]);
        const notes = all
          .filter((s) => s.rejected)
          .map((s) => `! ${s.name}: ZooKeeper holds ${JSON.stringify(s.rejected!.raw)}, which was ignored (${s.rejected!.reason})`);
        return [table(['NAME', 'VALUE', 'DEFAULT', 'KIND', 'LAST CHANGE'], rows), ...notes].join('\n');
      });
    });

  switches
    .command('get <name>')
    .description('one switch in detail')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const s = await withSwitchAdmin((a) => a.get(name));
      print(opts.json, s, () =>
        [
          `name:         ${s.name}${s.known ? '' : ' (not declared by this version)'}`,
          `value:        ${s.value} (${s.kind}; default ${s.default}${s.source === 'default' ? '; not in ZooKeeper' : ''})`,
          `description:  ${s.description ?? '-'}`,
          `modified:     ${s.modifiedAt ?? '-'} (version ${s.version ?? '-'})`,
          `last change:  ${describeChange(s.lastChange)}`,
          ...(s.rejected ? [`ignored:      ${JSON.stringify(s.rejected.raw)} (${s.rejected.reason})`] : []),
        ].join('\n'),
      );
    });

  switches
    .command('set <name> <value>')
    .description('flip a switch: on, off, or a percentage 0-100 (validated before writing; audited)')
    .option('--as <who>', 'who is flipping, for the audit', `${os.userInfo().username}@${os.hostname()}`)
    .option('--json', 'print JSON')
    .action(async (name: string, value: string, opts: { as: string; json?: boolean }) => {
      const change = await withSwitchAdmin((a) => a.set(name, value, { actor: opts.as, source: 'cli' }));
      print(opts.json, change, () => `${name}: ${change.previous ?? '(none)'} → ${change.value} (version ${change.version}, recorded as ${opts.as})`);
    });

  switches
    .command('history <name>')
    .description('the recorded changes of a switch, newest first')
    .option('--limit <n>', 'how many changes', '20')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('--limit takes a whole number from 1 to 1000');
      const changes = await withSwitchAdmin((a) => a.history(name, limit));
      print(opts.json, { name, changes }, () =>
        changes.length === 0
          ? `${name}: no recorded changes`
          : table(
              ['AT', 'CHANGE', 'SOURCE', 'ACTOR'],
              changes.map((c) => [c.at, `${c.oldValue ?? '(none)'} → ${c.newValue}`, c.source, c.actor]),
            ),
      );
    });
}
