// ZooKeeper from the tests' side: its own command-line client in a child process (what an operator
// types), removal of a test's tree, and private servers for tests that stop ZooKeeper (never the
// shared one on 2181, which other test files use).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { freePort } from './free-port.js';

export const ZK_CLI = '/usr/share/zookeeper/bin/zkCli.sh';
const ZK_CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';

export type CliResult = { code: number; stdout: string; stderr: string };

/**
 * Runs ZooKeeper's own zkCli.sh with one command, e.g. `zkCli('127.0.0.1:2181', 'set', path, '25')`.
 * With `input`, runs it interactively instead and feeds it those lines (for `addauth`).
 */
export function zkCli(server: string, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ZK_CLI, ['-server', server, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ZOO_LOG_DIR: tmpdir() } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Sets a node's data with zkCli.sh and fails loudly if ZooKeeper refused. */
export async function zkCliSet(server: string, path: string, value: string): Promise<void> {
  const res = await zkCli(server, ['set', path, value]);
  if (res.code !== 0) throw new Error(`zkCli.sh set ${path} ${value} failed (${res.code}): ${res.stdout}${res.stderr}`);
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error('ZooKeeper client error', { cause: e }));

function withClient<T>(connect: string, auth: string | undefined, work: (client: zookeeper.Client) => Promise<T>): Promise<T> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 10_000, retries: 0 });
  if (auth) client.addAuthInfo('digest', Buffer.from(auth));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ZooKeeper at ${connect} did not answer`)), 15_000);
    client.once('connected', () => {
      work(client)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
    client.connect();
  }).finally(() => client.close());
}

/** Reads a node's data and ACL as a ZooKeeper client sees them. */
export function readNode(connect: string, path: string): Promise<{ data: string; acl: string[] }> {
  return withClient(connect, undefined, async (client) => {
    const data = await new Promise<string>((res, rej) => client.getData(path, (err, d) => (err ? rej(asError(err)) : res(d ? d.toString() : ''))));
    const acls = await new Promise<zookeeper.ACL[]>((res, rej) => client.getACL(path, (err, a) => (err ? rej(asError(err)) : res(a))));
    // The typings say `perms`; the client's ACL objects carry `permission`.
    return { data, acl: acls.map((a) => `${a.id.scheme}:${a.id.id.split(':')[0]}:${(a as unknown as { permission: number }).permission}`) };
  });
}

/** Deletes `path` and everything under it (with `auth` when the nodes are protected). */
export function removeTree(connect: string, path: string, auth?: string): Promise<void> {
  return withClient(connect, auth, async (client) => {
    const remove = async (p: string): Promise<void> => {
      const children = await new Promise<string[]>((res, rej) =>
        client.getChildren(p, (err, c) =>
          err && (err as zookeeper.Exception).getCode?.() === zookeeper.Exception.NO_NODE ? res([]) : err ? rej(asError(err)) : res(c),
        ),
      );
      for (const c of children) await remove(`${p}/${c}`);
      await new Promise<void>((res, rej) =>
        client.remove(p, (err) => (err && (err as zookeeper.Exception).getCode?.() !== zookeeper.Exception.NO_NODE ? rej(asError(err)) : res())),
      );
    };
    await remove(path);
  });
}

/** Whether a ZooKeeper on `port` serves requests (it accepts connections well before it does). */
function serving(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy());
    socket.once('connect', () => socket.write('srvr'));
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(reply.includes('Mode:')));
  });
}

export type PrivateZooKeeper = Awaited<ReturnType<typeof startPrivateZooKeeper>>;

/**
 * A standalone ZooKeeper of this test's own, on a free port with its data in a temporary folder
 * that survives stop()/start(), as a real server's disk does. tickTime 500 ms lets sessions be as
 * short as 1 s, so tests can outlast a session without waiting long.
 */
export async function startPrivateZooKeeper() {
  const dir = await mkdtemp(join(tmpdir(), 'order-actors-zk-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const killNow = () => child?.kill('SIGKILL');

  async function start(): Promise<void> {
    child = spawn(
      'java',
      [
        '-Dzookeeper.admin.enableServer=false',
        `-Dzookeeper.log.dir=${dir}`,
        '-cp',
        ZK_CLASSPATH,
        'org.apache.zookeeper.server.ZooKeeperServerMain',
        String(port),
        join(dir, 'data'),
        '500',
      ],
      { stdio: 'ignore' },
    );
    // A worker that dies never runs afterAll: do not leave a JVM behind.
    process.once('exit', killNow);
    const deadline = Date.now() + 60_000;
    while (!(await serving(port))) {
      if (Date.now() > deadline) throw new Error(`private ZooKeeper on ${port} did not start serving`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    child = null;
    process.removeListener('exit', killNow);
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      // Like a crash or a pulled cable: no goodbye to the clients.
      c.kill('SIGKILL');
    });
  }

  await start();
  return {
    port,
    connect: `127.0.0.1:${port}`,
    start,
    stop,
    async remove(): Promise<void> {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
