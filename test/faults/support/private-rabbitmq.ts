// A RabbitMQ node of the test's own, beside the shared one: destructive faults (stop_app, forced
// connection closes, a crashed broker) would disturb every other test on port 5672. The node has its
// own name, ports, data and log directories and Erlang cookie (all in a temp dir), no plugins, and
// is halted and removed afterwards. epmd is shared with the main node, which is harmless.
import { execFile, type ExecFileException } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '../../support/free-port.js';
import { forget, killOnExit } from '../../support/leftovers.js';

const RABBITMQ_BIN = process.env.RABBITMQ_BIN_DIR ?? '/usr/lib/rabbitmq/bin';

export type PrivateRabbitMq = Awaited<ReturnType<typeof startPrivateRabbitMq>>;

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs }, (err: ExecFileException | null, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export async function startPrivateRabbitMq(label: string) {
  const dir = await mkdtemp(path.join(tmpdir(), `faults-rabbitmq-${label}-`));
  const node = `faults-${label}-${randomBytes(3).toString('hex')}@localhost`;
  const port = await freePort();
  const distPort = await freePort();
  await writeFile(path.join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`);
  // Stands in for /etc/rabbitmq/rabbitmq-env.conf, which names the shared node.
  await writeFile(path.join(dir, 'rabbitmq-env.conf'), '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // The Erlang cookie is created in, and read from, $HOME: the CLI below shares it with the node.
    HOME: dir,
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
  };
  /** rabbitmqctl, always aimed at this node by name: never at the shared one. */
  const ctl = (...args: string[]) => run(path.join(RABBITMQ_BIN, 'rabbitmqctl'), ['-n', node, ...args], env);

  let beamPid: number | undefined;
  async function awaitStartup(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // await_startup fails at once while the node has not registered with epmd yet.
    for (;;) {
      try {
        await ctl('await_startup', '--timeout', '30');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await waitForPort(port, 10_000);
    const pid = Number((await readFile(env.RABBITMQ_PID_FILE!, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0) {
      beamPid = pid;
      killOnExit(pid);
    }
  }

  const startNode = async () => {
    await run(path.join(RABBITMQ_BIN, 'rabbitmq-server'), ['-detached'], env);
    await awaitStartup();
  };
  try {
    await startNode();
  } catch (err) {
    const log = await readFile(path.join(dir, 'log', `${node}.log`), 'utf8').catch(() => '(no log)');
    await ctl('stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`private RabbitMQ node ${node} did not start: ${(err as Error).message}\n${log.slice(-3_000)}`);
  }

  return {
    node,
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    ctl,
    /** Stops the RabbitMQ application (the Erlang node stays up): every client loses its connection. */
    stopApp: () => ctl('stop_app'),
    startApp: async () => {
      await ctl('start_app');
      await waitForPort(port, 30_000);
    },
    closeAllConnections: (reason: string) => ctl('close_all_connections', reason),
    /** A crash: kill -9 of the Erlang VM, no clean shutdown; then the node is started again on its data. */
    async crashAndRestart(): Promise<void> {
      if (beamPid === undefined) throw new Error(`no pid known for ${node}`);
      const pid = beamPid;
      process.kill(pid, 'SIGKILL');
      forget(pid);
      beamPid = undefined;
      // Started again only once the old VM is gone, or the new one would find its name taken.
      for (let alive = true; alive;) {
        try {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 100));
        } catch {
          alive = false;
        }
      }
      await startNode();
    },
    /** Halts the node and deletes its data. */
    async remove(): Promise<void> {
      await ctl('stop').catch(() => undefined);
      if (beamPid !== undefined) {
        try {
          process.kill(beamPid, 'SIGKILL');
        } catch {
          // Already halted.
        }
        forget(beamPid);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
