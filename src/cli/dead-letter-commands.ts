// `order-actors dead-letters …`: reviewing failures from a terminal, against PostgreSQL and
// RabbitMQ directly (no running service needed), through the same use cases as the admin routes.
import os from 'node:os';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { topologyOf, type Config } from '../config.js';
import { withDeadline, type DrainReport } from '../dead-letters/dead-letter-drainer.js';
import { startDeadLetters } from '../dead-letters/dead-letter-module.js';
import {
  DiscardBodySchema,
  FAILED_MESSAGE_STATUSES,
  GroupsQuerySchema,
  IdParamsSchema,
  ListQuerySchema,
  ReplayManyBodySchema,
} from '../dead-letters/dead-letter-schemas.js';
import { createDeadLetterService, retryChainMs, type DeadLetterService } from '../dead-letters/dead-letter-service.js';
import { createFailedMessageRepository } from '../dead-letters/failed-message-repository.js';
import type { FailedMessageSummary } from '../dead-letters/failed-message.js';
import { toIssues } from '../http/http-errors.js';
import { createAmqpConnection } from '../platform/amqp/connection.js';
import { createPublisher } from '../platform/amqp/publisher.js';
import { withCliContext } from './cli-context.js';
import { printResult } from './terminal-text.js';
import { textTable } from './text-table.js';

const BROKER_WAIT_MS = 10_000;

function check<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `Invalid options:\n${toIssues(parsed.error)
        .map((i) => `  ${i.path}: ${i.message}`)
        .join('\n')}`,
    );
  return parsed.data;
}

const noBroker = () => Promise.reject(new Error('this command does not connect to RabbitMQ'));

/** Builds the use cases for one command, with a broker connection only for the commands that need one. */
function withDeadLetters<T>(broker: boolean, work: (service: DeadLetterService, config: Config) => Promise<T>): Promise<T> {
  return withCliContext(async ({ config, logger, shutdown, db: openDb }) => {
    const db = await openDb();
    const topology = topologyOf(config);
    let service: DeadLetterService;
    if (broker) {
      const connection = await createAmqpConnection({ url: config.AMQP_URL, name: 'order-actors-cli-publish', heartbeatS: config.AMQP_HEARTBEAT_S, logger });
      shutdown.add('publish connection', () => connection.close());
      const publisher = createPublisher({ connection, exchange: topology.exchange, confirmTimeoutMs: config.PUBLISH_CONFIRM_TIMEOUT_MS, logger });
      shutdown.add('publisher channel', () => publisher.close());
      await withDeadline(publisher.ready(), BROKER_WAIT_MS, `Connecting to RabbitMQ at ${config.AMQP_URL.replace(/\/\/[^@/]*@/g, '//')}`);
      ({ service } = await startDeadLetters({ config, db, publisher, topology, logger, shutdown, schedule: false }));
    } else {
      service = createDeadLetterService({
        db,
        repository: createFailedMessageRepository(),
        publisher: { publish: noBroker },
        drain: noBroker,
        topology,
        logger,
      });
    }
    try {
      return await work(service, config);
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
      if (code === 404)
        throw new Error('The dead-letter queue does not exist: start the service once (it declares the queues) with the same QUEUE_PREFIX', { cause: err });
      throw err;
    }
  });
}

const print = printResult;

const operator = (by: string | undefined) => by ?? `${os.userInfo().username} (cli)`;

function filterOptions(cmd: Command): Command {
  return cmd
    .option('--actor <name>', 'only this actor (business, notification)')
    .option('--error-code <code>', 'only this error code')
    .option('--order-id <id>', 'only this order')
    .option('--since <instant>', 'last failed at or after, e.g. 2026-11-27T09:00:00Z')
    .option('--until <instant>', 'last failed before')
    .option('--json', 'print JSON');
}

type FilterOpts = { actor?: string; errorCode?: string; orderId?: string; since?: string; until?: string; status?: string; json?: boolean };

type ReplayOpts = FilterOpts & { group?: string; probeSize: string; probeWait?: string; limit: string; rate?: string; by?: string };

const criteriaOf = (o: FilterOpts) => ({ actor: o.actor, errorCode: o.errorCode, orderId: o.orderId, since: o.since, until: o.until });

function summaryRows(items: readonly FailedMessageSummary[]): string[][] {
  return items.map((m) => [String(m.id), m.status, m.actor, m.errorCode, m.orderId ?? '-', String(m.attempts), m.lastFailedAt, m.errorMessage]);
}

function describeDrain(r: DrainReport): string {
  const causes = r.byCause.map((c) => `  ${c.count} × ${c.actor} ${c.errorCode}`);
  return [
    `stored ${r.stored} new failed message(s)${r.alreadyStored ? `, ${r.alreadyStored} already stored` : ''}; the queue is ${r.remaining === 0 ? 'empty' : `left with ${r.remaining}`}`,
    ...causes,
  ].join('\n');
}

/** Long by design: the list of the dead-letters subcommands, each a few lines of options handed to the shared use cases. */
export function registerDeadLetterCommands(program: Command): void {
  const dl = program.command('dead-letters').description('review failed messages: list, group, show, replay, discard, drain');
  const statusOption = new Option('--status <status>', 'only this status').choices(FAILED_MESSAGE_STATUSES);

  filterOptions(dl.command('list').description('failed messages, newest first'))
    .addOption(statusOption)
    .option('--limit <n>', 'page size', '50')
    .option('--cursor <cursor>', 'the next cursor a previous page printed')
    .action(async (opts: FilterOpts & { limit: string; cursor?: string }) => {
      const { limit, cursor, ...filter } = check(ListQuerySchema, { ...criteriaOf(opts), status: opts.status, limit: opts.limit, cursor: opts.cursor });
      const page = await withDeadLetters(false, (s) => s.list(filter, { limit, cursor }));
      print(opts.json, page, () =>
        [
          textTable(['ID', 'STATUS', 'ACTOR', 'ERROR', 'ORDER', 'ATTEMPTS', 'LAST FAILED', 'MESSAGE'], summaryRows(page.items)),
          page.nextCursor ? `more: --cursor ${page.nextCursor}` : `${page.items.length} shown, no more`,
        ].join('\n'),
      );
    });

  filterOptions(dl.command('groups').description('failures grouped by cause (actor, error code, normalised message)'))
    .addOption(new Option('--status <status>', 'only rows with this status').choices(FAILED_MESSAGE_STATUSES))
    .action(async (opts: FilterOpts) => {
      const { limit, ...filter } = check(GroupsQuerySchema, { ...criteriaOf(opts), status: opts.status });
      const groups = await withDeadLetters(false, (s) => s.groups(filter, limit));
      print(opts.json, { groups }, () =>
        textTable(
          ['GROUP', 'ACTOR', 'ERROR', 'COUNT', 'OPEN', 'FIRST SEEN', 'LAST SEEN', 'SAMPLE', 'MESSAGE'],
          groups.map((g) => [g.groupId, g.actor, g.errorCode, String(g.count), String(g.open), g.firstSeen, g.lastSeen, String(g.sampleId), g.message]),
        ),
      );
    });

  dl.command('show <id>')
    .description('one failed message in full: error, attempts, headers, body')
    .option('--json', 'print JSON')
    .action(async (rawId: string, opts: { json?: boolean }) => {
      const { id } = check(IdParamsSchema, { id: rawId });
      const m = await withDeadLetters(false, (s) => s.show(id));
      print(opts.json, m, () =>
        [
          `id:            ${m.id} (${m.status}${m.replayedAt ? ` ${m.replayedAt} by ${m.replayedBy}` : ''}${m.discardedAt ? ` ${m.discardedAt} by ${m.discardedBy}: ${m.discardReason}` : ''})`,
          `message id:    ${m.messageId}`,
          `actor:         ${m.actor} (queue ${m.originalQueue ?? '?'}, routing key ${m.routingKey ?? '?'})`,
          `error:         ${m.errorCode} [${m.errorClass}, ${m.deadLetterReason}] ${m.errorMessage}`,
          `attempts:      ${m.attempts} (first failed ${m.firstFailedAt}, last ${m.lastFailedAt})`,
          `order / trace: ${m.orderId ?? '-'} / ${m.traceId ?? '-'}`,
          `group:         ${m.fingerprint}`,
          `replay of:     ${m.replayOf ?? '-'}; came back as: ${m.replays.length ? m.replays.join(', ') : '-'}`,
          `masked:        ${m.piiMaskedAt ? `personal data masked ${m.piiMaskedAt} (not replayable)` : '-'}`,
          `headers:       ${JSON.stringify(m.headers)}`,
          `properties:    ${JSON.stringify(m.properties)}`,
          `body (${m.body.bytes} bytes):`,
          m.body.json !== undefined ? JSON.stringify(m.body.json, null, 2) : (m.body.text ?? `base64 ${m.body.base64}`),
          ...(m.errorStack ? ['stack:', m.errorStack] : []),
        ].join('\n'),
      );
    });

  filterOptions(
    dl
      .command('replay [id]')
      .description(
        'republish one failed message, or a group (--group) or a filter, to its original queue; a bulk replay stops by itself if the first ones fail again the same way',
      ),
  )
    .option('--group <groupId>', 'replay every open message of this group')
    .option('--probe-size <n>', 'bulk: how many go first, alone', '5')
    .option('--probe-wait <ms>', 'bulk: how long to watch them (default: the whole retry chain)')
    .option('--limit <n>', 'bulk: at most this many', '1000')
    .option('--rate <perSecond>', 'bulk: messages per second, e.g. 5 or 0.5 (default: as fast as the broker confirms); Ctrl-C stops it, the rest stay open')
    .option('--by <name>', 'who replays, for the audit columns')
    .action(async (rawId: string | undefined, opts: ReplayOpts) => {
      const by = operator(opts.by);
      const criteria = criteriaOf(opts);
      const hasFilter = Object.values(criteria).some((v) => v !== undefined);
      if (rawId !== undefined && (opts.group !== undefined || hasFilter)) throw new Error('Give either an id, or --group / filter options, not both');
      if (rawId !== undefined && opts.rate !== undefined) throw new Error('--rate paces a bulk replay (--group or filter options); one message needs none');
      if (rawId !== undefined) {
        const { id } = check(IdParamsSchema, { id: rawId });
        const done = await withDeadLetters(true, (s) => s.replay(id, by));
        print(opts.json, done, () => `replayed ${done.id} to ${done.queue} (message id ${done.messageId}) by ${done.replayedBy}`);
        return;
      }
      const body = check(ReplayManyBodySchema, {
        ...(opts.group !== undefined ? { groupId: opts.group } : {}),
        ...(hasFilter ? { filter: criteria } : {}),
        probeSize: Number(opts.probeSize),
        ...(opts.probeWait !== undefined ? { probeWaitMs: Number(opts.probeWait) } : {}),
        limit: Number(opts.limit),
        ...(opts.rate !== undefined ? { ratePerSecond: Number(opts.rate) } : {}),
      });
      // Ctrl-C stops a long paced replay after the message in hand, and the report still prints.
      const cancel = new AbortController();
      const stop = () => cancel.abort();
      process.once('SIGINT', stop);
      const report = await withDeadLetters(true, (s, config) =>
        s.replayMany(body.groupId !== undefined ? { groupId: body.groupId } : { filter: body.filter! }, by, {
          probeSize: body.probeSize,
          probeWaitMs: body.probeWaitMs ?? retryChainMs(config.RETRY_DELAYS_MS, config.MAX_ATTEMPTS),
          limit: body.limit,
          ratePerSecond: body.ratePerSecond,
          cancelled: cancel.signal,
        }),
      ).finally(() => process.removeListener('SIGINT', stop));
      print(opts.json, report, () => [report.message, `replayed: ${report.replayed.join(', ') || '-'}`].join('\n'));
      if (report.outcome === 'stopped') process.exitCode = 2;
    });

  dl.command('discard <id>')
    .description('mark a failed message discarded (kept until DEAD_LETTER_RETENTION_DAYS)')
    .requiredOption('--reason <text>', 'why it will not be replayed')
    .option('--by <name>', 'who discards, for the audit columns')
    .option('--json', 'print JSON')
    .action(async (rawId: string, opts: { reason: string; by?: string; json?: boolean }) => {
      const { id } = check(IdParamsSchema, { id: rawId });
      const { reason } = check(DiscardBodySchema, { reason: opts.reason });
      const done = await withDeadLetters(false, (s) => s.discard(id, operator(opts.by), reason));
      print(opts.json, done, () => `discarded ${done.id} by ${done.discardedBy}: ${done.discardReason}`);
    });

  dl.command('drain')
    .description('move everything in the dead-letter queue into the failed-messages table now; exits 0 once the queue is empty')
    .option('--wait <seconds>', 'how long to wait while another process holds the drain lock', '60')
    .option('--json', 'print JSON')
    .action(async (opts: { wait: string; json?: boolean }) => {
      const waitMs = check(z.coerce.number().int().min(0).max(3600), opts.wait) * 1000;
      const total = await withDeadLetters(true, async (s) => {
        const sum: DrainReport = { ran: false, stored: 0, alreadyStored: 0, remaining: -1, byCause: [] };
        const giveUpAt = Date.now() + waitMs;
        for (;;) {
          const r = await s.drain();
          if (r.ran) {
            sum.ran = true;
            sum.stored += r.stored;
            sum.alreadyStored += r.alreadyStored;
            sum.remaining = r.remaining;
            for (const c of r.byCause) {
              const same = sum.byCause.find((x) => x.actor === c.actor && x.errorCode === c.errorCode);
              if (same) same.count += c.count;
              else sum.byCause.push({ ...c });
            }
            if (r.remaining === 0) return sum;
          } else if (Date.now() >= giveUpAt) {
            throw new Error(`Another process held the drain lock for ${waitMs / 1000} s; it is draining the queue. Run again later or raise --wait.`);
          } else {
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      });
      print(opts.json, total, () => describeDrain(total));
    });
}
