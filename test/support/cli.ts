// The `order-actors` command as an operator runs it: a child process with the environment of a
// test's context (its database schema, ZooKeeper root, queues).
import { spawn } from 'node:child_process';
import type { Config } from '../../src/config.js';

export type CliRun = { code: number; stdout: string; stderr: string };

/** `interruptWhen`: once it resolves, the command gets SIGINT, as an operator pressing Ctrl-C. */
export function runCli(
  config: Config,
  args: string[],
  env: Record<string, string> = {},
  options: { interruptWhen?: () => Promise<unknown> } = {},
): Promise<CliRun> {
  const fromConfig: Record<string, string> = {
    AMQP_URL: config.AMQP_URL,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    DATABASE_URL: config.DATABASE_URL,
    DATABASE_SCHEMA: config.DATABASE_SCHEMA,
    ZK_CONNECT: config.ZK_CONNECT,
    ZK_ROOT: config.ZK_ROOT,
    ...(config.ZK_AUTH ? { ZK_AUTH: config.ZK_AUTH } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/order-actors.ts', ...args], {
      env: { ...process.env, ...fromConfig, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    if (options.interruptWhen) void options.interruptWhen().then(() => child.kill('SIGINT'), reject);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
