// `order-actors sellers …`: create, list and revoke shops' API keys, straight against PostgreSQL.
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createDb } from '../platform/db.js';
import { createLogger } from '../platform/logger.js';
import { migrateToLatest } from '../platform/migrate.js';
import { IdSchema } from '../orders/order-schema.js';
import { textTable } from './text-table.js';
import { createSellerKeys, type SellerKeys } from '../sellers/seller-keys.js';
import { forTerminal } from './terminal-text.js';

async function withKeys<T>(work: (keys: SellerKeys) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger({ level: 'silent' });
  const { db } = createDb({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: 1, statementTimeoutMs: 10_000, applicationName: 'order-actors-cli' }, logger);
  try {
    await migrateToLatest(db, config.DATABASE_SCHEMA);
    return await work(createSellerKeys({ db }));
  } finally {
    await db.destroy();
  }
}

export function registerSellerCommands(program: Command): void {
  const sellers = program.command('sellers').description("manage shops' API keys");

  sellers
    .command('create-key <sellerId>')
    .description('create an API key for a seller; the key is shown once, only its hash is stored')
    .option('--json', 'print JSON')
    .action(async (sellerId: string, opts: { json?: boolean }) => {
      const parsed = IdSchema.safeParse(sellerId);
      if (!parsed.success) throw new Error(`Invalid seller id ${JSON.stringify(sellerId)}: ${parsed.error.issues[0]?.message}`);
      const created = await withKeys((k) => k.create(parsed.data));
      console.log(opts.json ? JSON.stringify({ sellerId, ...created }) : `key ${created.keyId} for seller ${sellerId} (shown once; store it now):\n${created.apiKey}`);
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
      else console.log(forTerminal(textTable(['key', 'seller', 'created', 'revoked'], keys.map((k) => [k.keyId, k.sellerId, k.createdAt, k.revokedAt ?? '-']))));
    });
}
