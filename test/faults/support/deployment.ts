// The service deployed as an operator would split it: intake, business and notification each in a
// process of its own, started from src/ with the production CLI (test/support's service runner). A
// fault test can only kill -9 what runs in another process.
import path from 'node:path';
import type { Role } from '../../../src/config.js';
import { freePort } from '../../support/free-port.js';
import { createServiceProcess, serviceCli, type ServiceProcess } from '../../support/service-runner.js';

export type ServiceRole = Extract<Role, 'intake' | 'business' | 'notification'>;
const ROLES: readonly ServiceRole[] = ['intake', 'business', 'notification'];

export type Deployment = Awaited<ReturnType<typeof startDeployment>>;

/**
 * Starts the three processes with the same environment (plus `roleEnv` for one role), each logging
 * to `<logDir>/<role>.log`. Resolves once all three are ready; if one is not, kills all three.
 */
export async function startDeployment(options: {
  env: Record<string, string>;
  roleEnv?: Partial<Record<ServiceRole, Record<string, string>>>;
  logDir: string;
}) {
  // src/ as it is, never a build that may lag behind it: the faults are tested on the code under review.
  const { args } = serviceCli('tsx');
  const processes = {} as Record<ServiceRole, ServiceProcess>;
  for (const role of ROLES) {
    processes[role] = createServiceProcess({
      name: role,
      args,
      // Of this process's environment only PATH and HOME: the service sees what the test gives it.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env, ...options.roleEnv?.[role], ROLE: role },
      port: await freePort(),
      logFile: path.join(options.logDir, `${role}.log`),
    });
  }
  const all = Object.values(processes);
  const started = await Promise.allSettled(all.map((p) => p.start()));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(all.map((p) => p.kill('SIGKILL')));
    throw failed.reason;
  }
  return {
    ...processes,
    intakeUrl: processes.intake.baseUrl,
    unexpectedExits: () => all.flatMap((p) => p.unexpectedExits()),
    /** Resolves once every process answers ready again (after a fault is healed). */
    async waitUntilReady(timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const dead = all.filter((p) => !p.isRunning());
        if (dead.length > 0) throw new Error(`not running: ${dead.map((p) => p.name).join(', ')}`);
        const ready = await Promise.all(all.map((p) => p.isReady()));
        if (ready.every(Boolean)) return;
        if (Date.now() > deadline) {
          const names = all.filter((_, i) => !ready[i]).map((p) => p.name);
          throw new Error(`not ready again within ${timeoutMs} ms: ${names.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    tail: (n = 30) => all.map((p) => `--- ${p.name} (${p.logFile}) ---\n${p.tail(n)}`).join('\n'),
    async stop(): Promise<void> {
      await Promise.all(all.map((p) => p.stop()));
    },
  };
}
