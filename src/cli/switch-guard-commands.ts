// `order-actors switches guard|guard-status|unguard <name>`: a percentage switch's rollback guard
// from the terminal, through the same use case as /admin/switches/{name}/guard.
import os from 'node:os';
import type { Command } from 'commander';
import { createSwitchGuardRepository } from '../switch-admin/switch-guard-repository.js';
import { GuardSettingsSchema } from '../switch-admin/switch-guard-rules.js';
import { createSwitchGuardAdmin, type GuardView, type SwitchGuardAdmin } from '../switch-admin/switch-guard.js';
import { withSwitches } from './switch-context.js';
import { printResult } from './terminal-text.js';
import { textTable } from './text-table.js';

const withGuards = <T>(work: (guards: SwitchGuardAdmin) => Promise<T>): Promise<T> =>
  withSwitches(({ switches, db }) => work(createSwitchGuardAdmin({ db, switches, guards: createSwitchGuardRepository() })));

/** The command-line flag of a settings field: maxFailureRate → --max-failure-rate. */
const flagOf = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const pct = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);

function describeGuard(g: GuardView): string {
  const trip = g.trip as { from: number; to: number; check: { because: string } } | null;
  return [
    `switch:   ${g.name}`,
    `state:    ${g.state}${g.state === 'tripped' && trip ? ` at ${g.trippedAt ?? '?'}: rolled back ${trip.from} → ${trip.to} (${trip.check.because}); re-arm to roll out again` : ''}`,
    `limit:    the new path may fail ${pct(g.maxFailureRate)} more than the old, over ${g.window}, from ${g.minMessages} messages`,
    `rollback: to ${g.rollbackTo ?? `${g.armedValue} (the value at arming) or 0`}`,
    `armed:    ${g.armedAt} by ${g.armedBy}: ${g.reason}`,
    `now:      ${g.now.verdict}: ${g.now.because}`,
    '',
    textTable(
      ['AT', 'EVENT', 'BY'],
      g.events.map((e) => [e.at, e.action, e.actor]),
      200,
    ),
  ].join('\n');
}

const asNumber = (flag: string) => (v: string) => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} takes a number, not "${v}"`);
  return n;
};

export function registerSwitchGuardCommands(switches: Command): void {
  switches
    .command('guard <name>')
    .description('arm (or re-arm) the rollback guard of a percentage switch: it flips the switch back when the new path fails')
    .requiredOption('--max-failure-rate <share>', 'how much more the new path may fail than the old, e.g. 0.05', asNumber('--max-failure-rate'))
    .option('--window <duration>', 'the window judged, from 10s to 6h', '5m')
    .option('--min-messages <n>', 'messages on the new path before it is judged', asNumber('--min-messages'), 50)
    .option('--rollback-to <percent>', 'the value a rollback returns to (default: the value now, or 0)', asNumber('--rollback-to'))
    .requiredOption('--reason <why>', 'why, for the audit')
    .option('--as <who>', 'who is arming it, for the audit', `${os.userInfo().username}@${os.hostname()}`)
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        opts: { maxFailureRate: number; window: string; minMessages: number; rollbackTo?: number; reason: string; as: string; json?: boolean },
      ) => {
        const parsed = GuardSettingsSchema.safeParse({
          maxFailureRate: opts.maxFailureRate,
          window: opts.window,
          minMessages: opts.minMessages,
          ...(opts.rollbackTo === undefined ? {} : { rollbackTo: opts.rollbackTo }),
          reason: opts.reason,
        });
        if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${flagOf(String(i.path[0]))}: ${i.message}`).join('; '));
        const guard = await withGuards((g) => g.arm(name, parsed.data, `${opts.as} (cli)`));
        printResult(opts.json, guard, () => describeGuard(guard));
      },
    );

  switches
    .command('guard-status <name>')
    .description("a switch's rollback guard: its state, the figures of its window now, its events")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const guard = await withGuards((g) => g.of(name));
      printResult(opts.json, guard, () => describeGuard(guard));
    });

  switches
    .command('unguard <name>')
    .description("disarm a switch's rollback guard")
    .requiredOption('--reason <why>', 'why, for the audit')
    .option('--as <who>', 'who is disarming it, for the audit', `${os.userInfo().username}@${os.hostname()}`)
    .action(async (name: string, opts: { reason: string; as: string }) => {
      await withGuards((g) => g.disarm(name, { actor: `${opts.as} (cli)`, reason: opts.reason }));
      console.log(`${name}: rollback guard disarmed`);
    });
}
