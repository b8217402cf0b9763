#!/usr/bin/env node
// The `order-actors` command: starts the service (all roles or one), migrates, and hosts the
// operator commands. Each subcommand parses the environment once through loadConfig.
import { Command, Option } from 'commander';
import { registerDeadLetterCommands } from '../cli/dead-letter-commands.js';
import { registerProcessCommands } from '../cli/process-commands.js';
import { registerSellerCommands } from '../cli/seller-commands.js';
import { registerShardCommands } from '../cli/shard-commands.js';
import { registerSwitchCommands } from '../cli/switch-commands.js';
import { loadConfig, ROLES, type Role } from '../config.js';
import { createDb } from '../platform/db.js';
import { createLogger } from '../platform/logger.js';
import { migrateToLatest } from '../platform/migrate.js';
import { exitOnSignals } from '../platform/shutdown.js';
import { startService } from './start-service.js';

const program = new Command('order-actors').description('Order processing as actors on RabbitMQ queues').showHelpAfterError();

program
  .command('start', { isDefault: true })
  .description('start the service: every role (default) or the one named by --role or ROLE')
  .addOption(new Option('--role <role>', 'which role this process runs').choices(ROLES))
  .addOption(new Option('--shards <list>', 'the shards this process consumes, e.g. 0,2 (default: all; sets CONSUME_SHARDS)'))
  .action(async (opts: { role?: Role; shards?: string }) => {
    const config = loadConfig({ ...process.env, ...(opts.role ? { ROLE: opts.role } : {}), ...(opts.shards ? { CONSUME_SHARDS: opts.shards } : {}) });
    const logger = createLogger({ level: config.LOG_LEVEL });
    const service = await startService(config, logger);
    exitOnSignals(service.shutdown, logger);
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger({ level: config.LOG_LEVEL });
    const { db } = createDb({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: 1, statementTimeoutMs: 60_000 }, logger);
    try {
      const applied = await migrateToLatest(db, config.DATABASE_SCHEMA);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.destroy();
    }
  });

registerSwitchCommands(program);
registerDeadLetterCommands(program);
registerSellerCommands(program);
registerShardCommands(program);
registerProcessCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  if (err instanceof Error && err.cause) console.error('cause:', err.cause);
  process.exit(1);
});
