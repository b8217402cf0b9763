// `order-actors sellers …`: shops' API keys (create, list, revoke) and their rate-limit overrides
// (show, set, clear), straight against PostgreSQL, through the same use cases as the admin routes.
import os from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import type { Config } from '../config.js';
import { toIssues } from '../http/http-errors.js';
import type { Db } from '../platform/db.js';
import { IdSchema } from '../platform/id-schema.js';
import { createSellerKeys, type SellerKeys } from '../sellers/seller-keys.js';
import { createSellerRateLimitAdmin, type SellerRateLimitAdmin, type SellerRateLimitView } from '../sellers/seller-rate-limit-admin.js';
import { createSellerRateLimitRepository } from '../sellers/seller-rate-limit-repository.js';
import { ClearReasonSchema, RateLimitOverrideSchema } from '../sellers/seller-rate-limit-schema.js';
import type { RateLimitOverride } from '../sellers/shop-rate-limit-rules.js';
import { withCliContext } from './cli-context.js';
import { forTerminal, printResult } from './terminal-text.js';
import { textTable } from './text-table.js';

const withDb = <T>(work: (db: Db, config: Config) => Promise<T>): Promise<T> => withCliContext(async (cli) => work(await cli.db(), cli.config));

const withKeys = <T>(work: (keys: SellerKeys) => Promise<T>) => withDb((db) => work(createSellerKeys({ db })));

const withRateLimits = <T>(work: (admin: SellerRateLimitAdmin, config: Config) => Promise<T>) =>
  withDb((db, config) =>
    work(
      createSellerRateLimitAdmin({
        db,
        limits: createSellerRateLimitRepository(),
        defaults: { ordersPerMinute: config.SHOP_ORDERS_PER_MINUTE, delaysPerMinute: config.SHOP_DELAYS_PER_MINUTE },
      }),
      config,
    ),
  );

function check<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `Invalid ${what}:\n${toIssues(parsed.error)
        .map((i) => `  ${i.path}: ${i.message}`)
        .join('\n')}`,
    );
  return parsed.data;
}

const sellerIdOf = (sellerId: string) => check(IdSchema, sellerId, `seller id ${JSON.stringify(sellerId)}`);

/** A whole number from the command line; the schema then checks its range. */
function count(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${option} takes a whole number of requests per minute (0: no limit), not ${JSON.stringify(value)}`);
  return Number(value);
}

const perMinute = (n: number) => (n === 0 ? 'no limit' : `${n}/min`);
const overrideText = (o: RateLimitOverride | null) => (o ? `orders ${o.ordersPerMinute ?? 'default'}, delays ${o.delaysPerMinute ?? 'default'}` : '(defaults)');

function describeLimits(view: SellerRateLimitView): string {
  const line = (kind: string, value: number, overridden: boolean, fallback: number) =>
    `  ${kind}: ${perMinute(value)} per intake process (${overridden ? `override; default ${perMinute(fallback)}` : 'default'})`;
  const o = view.override;
  return [
    `seller ${view.sellerId}`,
    line('orders', view.limits.ordersPerMinute, o?.ordersPerMinute != null, view.defaults.ordersPerMinute),
    line('delays', view.limits.delaysPerMinute, o?.delaysPerMinute != null, view.defaults.delaysPerMinute),
    o ? `  override set ${o.updatedAt} by ${o.updatedBy}: ${o.reason}` : '  no override',
    ...(view.changes.length
      ? [
          '',
          textTable(
            ['AT', 'ACTION', 'FROM', 'TO', 'SOURCE', 'ACTOR', 'REASON'],
            view.changes.map((c) => [c.at, c.action, overrideText(c.previous), overrideText(c.next), c.source, c.actor, c.reason ?? '-']),
          ),
        ]
      : []),
  ].join('\n');
}

/** Long by design: the list of the sellers subcommands, each a few lines of options handed to the shared use cases. */
export function registerSellerCommands(program: Command): void {
  const sellers = program.command('sellers').description("manage shops' API keys and rate limits");
  const me = `${os.userInfo().username}@${os.hostname()}`;

  sellers
    .command('create-key <sellerId>')
    .description('create an API key for a seller; the key is shown once, only its hash is stored')
    .option('--json', 'print JSON')
    .action(async (sellerId: string, opts: { json?: boolean }) => {
      const id = sellerIdOf(sellerId);
      const created = await withKeys((k) => k.create(id));
      console.log(
        opts.json ? JSON.stringify({ sellerId, ...created }) : `key ${created.keyId} for seller ${sellerId} (shown once; store it now):\n${created.apiKey}`,
      );
    });

  sellers
    .command('revoke-key <keyId>')
    .description('revoke an API key (effective within 30 s in running processes)')
    .action(async (keyId: string) => {
      const revoked = await withKeys((k) => k.revoke(keyId));
      if (!revoked) throw new Error(`No active key ${keyId}; see \`order-actors sellers list-keys\``);
      console.log(`revoked ${keyId}`);
    });

  sellers
    .command('list-keys [sellerId]')
    .description('list API keys (never the secrets)')
    .option('--json', 'print JSON')
    .action(async (sellerId: string | undefined, opts: { json?: boolean }) => {
      const keys = await withKeys((k) => k.list(sellerId));
      if (opts.json) console.log(JSON.stringify(keys, null, 2));
      else
        console.log(
          forTerminal(
            textTable(
              ['key', 'seller', 'created', 'revoked'],
              keys.map((k) => [k.keyId, k.sellerId, k.createdAt, k.revokedAt ?? '-']),
            ),
          ),
        );
    });

  sellers
    .command('show-rate-limit <sellerId>')
    .description("a seller's rate limits in force, its override and the override's history")
    .option('--json', 'print JSON')
    .action(async (sellerId: string, opts: { json?: boolean }) => {
      const view = await withRateLimits((a) => a.show(sellerIdOf(sellerId)));
      printResult(opts.json, view, () => describeLimits(view));
    });

  sellers
    .command('set-rate-limit <sellerId>')
    .description("override a seller's requests per minute per intake process (0: no limit); a limit left out follows the default")
    .option('--orders <n>', 'POST /orders and /orders/batch per minute')
    .option('--delays <n>', 'POST /delivery-delays per minute')
    .requiredOption('--reason <text>', 'why, for the audit')
    .option('--as <who>', 'who is changing it, for the audit', me)
    .option('--json', 'print JSON')
    .action(async (sellerId: string, opts: { orders?: string; delays?: string; reason: string; as: string; json?: boolean }) => {
      const id = sellerIdOf(sellerId);
      const input = check(
        RateLimitOverrideSchema,
        { ordersPerMinute: count('--orders', opts.orders), delaysPerMinute: count('--delays', opts.delays), reason: opts.reason },
        'options',
      );
      const { view, reloadMs } = await withRateLimits(async (a, config) => ({
        view: await a.set(id, input, { actor: opts.as, source: 'cli' }),
        reloadMs: config.SELLER_RATE_LIMIT_RELOAD_MS,
      }));
      printResult(opts.json, view, () => `${describeLimits(view)}\n\nRunning intake processes apply it within ${reloadMs} ms.`);
    });

  sellers
    .command('clear-rate-limit <sellerId>')
    .description("remove a seller's override, so the defaults apply again")
    .option('--reason <text>', 'why, for the audit')
    .option('--as <who>', 'who is changing it, for the audit', me)
    .option('--json', 'print JSON')
    .action(async (sellerId: string, opts: { reason?: string; as: string; json?: boolean }) => {
      const id = sellerIdOf(sellerId);
      const reason = check(ClearReasonSchema, opts.reason, 'options');
      const { view, reloadMs } = await withRateLimits(async (a, config) => ({
        view: await a.clear(id, reason, { actor: opts.as, source: 'cli' }),
        reloadMs: config.SELLER_RATE_LIMIT_RELOAD_MS,
      }));
      printResult(opts.json, view, () => `${describeLimits(view)}\n\nRunning intake processes apply it within ${reloadMs} ms.`);
    });
}
