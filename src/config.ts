// The only reader of process.env: one zod schema, parsed once, so a bad value stops the process
// at start with the variable's name instead of failing on the first message.
import { z } from 'zod';
import { parseBrokerEndpoints } from './platform/amqp/broker-endpoints.js';
import { describeTopology, LEADER_LOCATORS, MAX_SHARDS, type Topology } from './platform/amqp/topology.js';

const millis = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const positive = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
/** A retention in days; 0 keeps forever. At most a hundred years, so a cutoff is always a real date. */
const days = (fallback: number) => z.coerce.number().int().min(0).max(36_500).default(fallback);
/** A rate limit; 0 turns it off. */
const perMinute = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const ROLES = ['all', 'intake', 'business', 'notification', 'dead-letters', 'sandbox'] as const;
export type Role = (typeof ROLES)[number];

/** The settings the service reads from its environment; docs/configuration.md describes each (a test keeps the two in step). */
export const EnvSchema = z.object({
  ROLE: z.enum(ROLES).default('all'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // One URL, or a cluster's nodes separated by commas: each connection starts at a different node
  // and moves to the next when its node is lost.
  AMQP_URL: z
    .string()
    .default('amqp://guest:guest@127.0.0.1:5672')
    .superRefine((value, ctx) => {
      try {
        parseBrokerEndpoints(value, 10);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  // Work queues per actor, fed by a consistent-hash exchange on the order id (1: one queue each).
  ACTOR_SHARDS: z.coerce.number().int().min(1).max(MAX_SHARDS).default(1),
  // The shards this process consumes ("0,2"); unset, all of them.
  CONSUME_SHARDS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated shard numbers, e.g. 0,2')
    .transform((s) => [...new Set(s.split(',').map(Number))])
    .optional(),
  // Replicas of each quorum queue; a cluster with fewer nodes gets one per node.
  QUEUE_REPLICAS: z.coerce.number().int().min(1).max(7).default(3),
  // Where a new quorum queue's leader goes: balanced over the nodes, or client-local (the node of
  // the declaring connection). Applies when a queue is created; existing queues keep their leader.
  QUEUE_LEADER_LOCATOR: z.enum(LEADER_LOCATORS).default('balanced'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,40}$/, 'lowercase letters, digits, dot, dash or underscore')
    .default('orders'),
  AMQP_HEARTBEAT_S: positive(10),
  PUBLISH_CONFIRM_TIMEOUT_MS: positive(5_000),
  // Measured: at 256 the actors fell behind intake in one process (queue backed up); at 1,000 they keep up.
  BUSINESS_PREFETCH: positive(1_000),
  NOTIFICATION_PREFETCH: positive(1_000),
  ACTOR_BATCH_SIZE: positive(100),
  // Batches an actor handles at once; deliveries arriving meanwhile form the next, larger batch.
  ACTOR_CONCURRENT_BATCHES: positive(2),
  RETRY_DELAYS_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated milliseconds, e.g. 1000,10000,60000')
    .default('1000,10000,60000')
    .transform((s) => s.split(',').map(Number)),
  MAX_ATTEMPTS: positive(4),
  // Intake refuses new orders (503 + Retry-After) past these limits instead of drowning the broker.
  INTAKE_MAX_QUEUE_DEPTH: positive(500_000),
  INTAKE_MAX_PUBLISHES_IN_FLIGHT: positive(10_000),
  INTAKE_MAX_EVENT_LOOP_DELAY_MS: positive(1_000),
  // A delivery delay's fan-out slows to a slice a second while more than this waits for the actors.
  DELAY_FANOUT_MAX_BACKLOG: positive(10_000),
  MESSAGE_MAX_BYTES: positive(65_536),
  // A message whose properties and headers take more bytes arrives without its headers and is dead-lettered.
  MESSAGE_MAX_HEADER_BYTES: positive(16_384),
  QUEUE_DELIVERY_LIMIT: positive(20),
  // Deliveries of one dead letter before the dead-letter queue parks it in <prefix>.dead-letters.parked.
  DEAD_LETTER_DELIVERY_LIMIT: positive(10),

  // Buyers one seller's delivery delays may tell per UTC day; a delay past it gets 429.
  DELAY_NOTICES_PER_DAY: positive(100_000),
  // Requests one seller may make per minute to each intake process, past which it gets 429 with
  // Retry-After (0: no limit). Counted per process, in memory: size them per process (see
  // docs/configuration.md). Orders: POST /orders and POST /orders/batch together, a batch counting
  // as one request. Delays: POST /delivery-delays. An operator can override them per seller.
  SHOP_ORDERS_PER_MINUTE: perMinute(300_000),
  SHOP_DELAYS_PER_MINUTE: perMinute(60),
  // How often a process re-reads the per-seller overrides (one small query), so an operator's
  // change reaches every process within this time without a query per request.
  SELLER_RATE_LIMIT_RELOAD_MS: positive(5_000),
  // Country codes of the buyers' phone numbers intake accepts (without +), e.g. 82 or 82,81.
  PHONE_COUNTRY_CODES: z
    .string()
    .regex(/^[1-9]\d{0,2}(,[1-9]\d{0,2})*$/, 'comma-separated country codes without +, e.g. 82 or 82,81')
    .default('82')
    .transform((s) => [...new Set(s.split(','))]),

  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase PostgreSQL identifier')
    .default('public'),
  DATABASE_POOL_SIZE: positive(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positive(10_000),

  NOTIFY_API_URL: z.url().optional(),
  NOTIFY_TIMEOUT_MS: positive(5_000),
  NOTIFY_CONNECTIONS: positive(64),
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(3100),

  ZK_CONNECT: z.string().default('127.0.0.1:2181'),
  ZK_ROOT: z
    .string()
    .regex(/^(\/[A-Za-z0-9._-]+)+$/, 'an absolute ZooKeeper path such as /order-actors')
    .default('/order-actors'),
  ZK_AUTH: z
    .string()
    .regex(/^[^:]+:.+$/, 'user:password')
    .optional(),
  ZK_SESSION_TIMEOUT_MS: positive(10_000),
  // How long a process waits for ZooKeeper at start before serving the switches' code defaults.
  ZK_START_TIMEOUT_MS: positive(5_000),

  // required: shops authenticate with API keys (order-actors sellers create-key). off: anyone may
  // act for any seller — for a local trial only.
  SELLER_AUTH: z.enum(['required', 'off']).default('required'),
  // How long a verified key is trusted before it is checked again (a revocation's delay).
  SELLER_KEY_CACHE_TTL_MS: positive(30_000),
  ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  // When set, GET /metrics wants it as a bearer token; unset, /metrics is open (as a scrape target
  // usually is, behind the network's own boundary).
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  DEAD_LETTER_BATCH_INTERVAL_MS: millis(60_000),
  // How often each process looks for scheduled switch flips that are due.
  SWITCH_SCHEDULE_POLL_MS: positive(1_000),
  // How often each process adds its outcomes per switch path to the shared counts and judges the
  // armed rollback guards: a guard trips within about two of these after its limit is passed.
  SWITCH_GUARD_INTERVAL_MS: positive(1_000),
  // How often each process writes its heartbeat row (GET /admin/processes); one that misses four
  // in a row is shown as gone.
  PROCESS_HEARTBEAT_MS: positive(5_000),
  ALERT_WEBHOOK_URL: z.url().optional(),
  // Days after its last failure that a dead letter keeps the buyer's name, phone and address; then
  // the batch job masks them. Never 0: personal data always has an end date (docs/dead-letters.md).
  DEAD_LETTER_PII_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  // Days after its last failure that a dead letter is deleted, whatever its status: masked by then,
  // it can no longer be replayed, and its cause has long been handled or given up on.
  DEAD_LETTER_RETENTION_DAYS: days(90),
  // Days an order's journal entries (conflicts, failed attempts, delays) are kept: long enough for
  // the questions a shop or a card dispute raises about an order (disputes run up to 120 days).
  ORDER_JOURNAL_RETENTION_DAYS: days(180),
});

const ConfigSchema = EnvSchema.superRefine((c, ctx) => {
  const outside = c.CONSUME_SHARDS?.filter((i) => i >= c.ACTOR_SHARDS) ?? [];
  if (outside.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['CONSUME_SHARDS'],
      message: `shard(s) ${outside.join(', ')} do not exist with ACTOR_SHARDS=${c.ACTOR_SHARDS} (shards are numbered from 0)`,
    });
  }
});

export type Config = Readonly<z.infer<typeof EnvSchema>>;

export class ConfigError extends Error {
  readonly code = 'config_invalid';
}

/**
 * Settings renamed so that a duration says its unit: the old name still works, with a deprecation
 * warning, and the new one wins when both are set.
 */
export const RENAMED_SETTINGS: Readonly<Record<string, keyof z.infer<typeof EnvSchema>>> = {
  DEAD_LETTER_BATCH_INTERVAL: 'DEAD_LETTER_BATCH_INTERVAL_MS',
};

function withRenamedSettings(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  for (const [old, current] of Object.entries(RENAMED_SETTINGS)) {
    if (out[old] === undefined) continue;
    process.emitWarning(`${old} is deprecated; set ${current} instead${out[current] === undefined ? '' : ` (${current} is set too and wins)`}`, {
      type: 'DeprecationWarning',
      code: `ORDER_ACTORS_${old}`,
    });
    out[current] ??= out[old];
    delete out[old];
  }
  return out;
}

/** Parses the environment once; every process calls this in its composition root and nowhere else. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = withRenamedSettings(Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment; fix these variables (see .env.example):\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}

/** The broker topology a process with this configuration declares and uses: one place turns the settings into it. */
export function topologyOf(
  config: Pick<
    Config,
    'QUEUE_PREFIX' | 'RETRY_DELAYS_MS' | 'QUEUE_DELIVERY_LIMIT' | 'DEAD_LETTER_DELIVERY_LIMIT' | 'ACTOR_SHARDS' | 'QUEUE_REPLICAS' | 'QUEUE_LEADER_LOCATOR'
  >,
): Topology {
  return describeTopology({
    prefix: config.QUEUE_PREFIX,
    retryDelaysMs: config.RETRY_DELAYS_MS,
    deliveryLimit: config.QUEUE_DELIVERY_LIMIT,
    deadLetterDeliveryLimit: config.DEAD_LETTER_DELIVERY_LIMIT,
    shards: config.ACTOR_SHARDS,
    replicas: config.QUEUE_REPLICAS,
    leaderLocator: config.QUEUE_LEADER_LOCATOR,
  });
}
