// The benchmark's own settings (BENCH_*), parsed once with zod like the service's config, plus the
// service config it shares (broker, database and ZooKeeper addresses, prefetch, retry tiers).
import { z } from 'zod';
import { loadConfig, type Config } from '../src/config.js';

export const SCENARIOS = [1, 2, 3, 4, 5, 6, 7] as const;
export type ScenarioNumber = (typeof SCENARIOS)[number];

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

const BenchEnvSchema = z.object({
  /** Messages per relay run (scenarios 1 and 5). */
  BENCH_MESSAGES: count(50_000),
  /** Orders per HTTP run (scenarios 2, 4 and 6) and stored orders delayed at once (scenario 3). */
  BENCH_ORDERS: count(50_000),
  BENCH_SCENARIOS: z
    .string()
    .regex(/^[1-7](,[1-7])*$/, 'comma-separated scenario numbers 1–7, e.g. 1,2,6')
    .default('1,2,3,4,5,6,7')
    .transform((s) => [...new Set(s.split(',').map(Number))].sort((a, b) => a - b) as ScenarioNumber[]),
  /**
   * Orders sent (and delivered) before the measured HTTP run of scenarios 2, 4 and 6, and delayed
   * before the measured delay of scenario 3, so that the processes are measured warm (compiled
   * code, open pools) as a running service is; they are verified with the run. Cold, the first seconds' compiling set the intake p99 (measured at
   * 20,000 orders: p99 172 and 204 ms cold, 103 and 90 ms after 3,000 warm-up orders). 0 measures cold.
   */
  BENCH_WARMUP_ORDERS: z.coerce.number().int().min(0).default(3_000),
  /** HTTP connections autocannon keeps open against intake. */
  BENCH_CONNECTIONS: count(100),
  // Scenario 7's layout: spread (connections over the three nodes, leaders balanced: the service's
  // default), or one-node (every connection and every queue leader on the first node, replicas on
  // all three: the most that connecting to the leaders could save, measured without building it).
  BENCH_CLUSTER_LAYOUT: z.enum(['spread', 'one-node']).default('spread'),
  /** Unconfirmed messages the relay source keeps in flight. */
  BENCH_PUBLISH_WINDOW: count(1_000),
  /** Give up waiting for deliveries after this long without progress, then verify (and fail). */
  BENCH_STALL_TIMEOUT_MS: count(60_000),
  /** `dist` runs the compiled service (what `npm run bench` builds); `tsx` runs src/ directly. */
  BENCH_SERVICE_RUNNER: z.enum(['auto', 'dist', 'tsx']).default('auto'),
  /** Extra node flags for the service processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
  BENCH_SERVICE_NODE_ARGS: z
    .string()
    .default('')
    .transform((s) => s.split(/\s+/).filter(Boolean)),
});

export type BenchConfig = Readonly<z.infer<typeof BenchEnvSchema>> & {
  /** The service's configuration as the bench process sees it (defaults unless overridden). */
  service: Config;
  /** The environment children inherit, before the bench's own isolation variables. */
  inheritedEnv: Readonly<Record<string, string>>;
};

export function loadBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const present = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const parsed = BenchEnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid benchmark settings:\n${lines.join('\n')}`);
  }
  return Object.freeze({ ...parsed.data, service: loadConfig(env), inheritedEnv: present });
}
