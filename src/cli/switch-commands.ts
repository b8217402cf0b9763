// `order-actors switches …`: the operator's view of the switches, talking to ZooKeeper and
// PostgreSQL directly (no running service needed), through the same use cases as the admin routes.
import os from 'node:os';
import type { Command } from 'commander';
import { createSwitchAdmin, type SwitchAdmin } from '../switch-admin/switch-admin.js';
import { createSwitchChangeRepository, type SwitchChangeEntry } from '../switch-admin/switch-change-repository.js';
import { withSwitches } from './switch-context.js';
import { registerSwitchGuardCommands } from './switch-guard-commands.js';
import { printResult } from './terminal-text.js';
import { textTable } from './text-table.js';

const withSwitchAdmin = <T>(work: (admin: SwitchAdmin) => Promise<T>): Promise<T> =>
  withSwitches(({ switches, db }) => work(createSwitchAdmin({ db, switches, changes: createSwitchChangeRepository() })));

function describeChange(c: SwitchChangeEntry | null): string {
  if (!c) return '-';
  return `${c.at} ${c.oldValue ?? '(none)'} → ${c.newValue} via ${c.source} by ${c.actor}`;
}

const print = printResult;
// An audit line is read in full: who and why are the point of it.
const FULL_CELLS = 1_000;

export function registerSwitchCommands(program: Command): void {
  const switches = program.command('switches').description('look at, flip and audit the ZooKeeper switches, and guard their rollouts');
  registerSwitchGuardCommands(switches);

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
        return [textTable(['NAME', 'VALUE', 'DEFAULT', 'KIND', 'LAST CHANGE'], rows, FULL_CELLS), ...notes].join('\n');
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
    .option('--reason <why>', 'why, for the audit')
    .option('--json', 'print JSON')
    .action(async (name: string, value: string, opts: { as: string; reason?: string; json?: boolean }) => {
      const change = await withSwitchAdmin((a) => a.set(name, value, { actor: opts.as, source: 'cli', ...(opts.reason ? { reason: opts.reason } : {}) }));
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
          : textTable(
              ['AT', 'CHANGE', 'SOURCE', 'ACTOR', 'WHY'],
              changes.map((c) => [c.at, `${c.oldValue ?? '(none)'} → ${c.newValue}`, c.source, c.actor, c.reason ?? '']),
              FULL_CELLS,
            ),
      );
    });
}
