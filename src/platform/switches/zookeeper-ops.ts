// node-zookeeper-client's callbacks as promises with deadlines: the client queues requests while it
// is disconnected and never fails them, so without a deadline a write during an outage hangs.
import { createHash } from 'node:crypto';
import zookeeper, { type ACL, type Client, type Event, type Stat } from 'node-zookeeper-client';
import { RetryableError } from '../errors.js';

export type { Client as ZkClient, Event as ZkEvent, Stat as ZkStat };
export const ZK_EVENT = zookeeper.Event;
export const ZK_ERROR = zookeeper.Exception;

/** ZooKeeper did not answer in time, or is not connected. */
export class SwitchesUnavailableError extends RetryableError {
  constructor(message: string, cause?: unknown) {
    super('switches_unavailable', message, { cause });
  }
}

export function isZkError(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && 'getCode' in err && typeof err.getCode === 'function' && err.getCode() === code;
}

/**
 * ACLs for switch nodes. With `auth` (digest user:password) only holders of that credential may
 * change or delete them and everyone may read them; without it they are open, like the rest of a
 * development ZooKeeper.
 */
export function switchAcls(auth: string | undefined): ACL[] {
  const anyone = new zookeeper.Id('world', 'anyone');
  if (!auth) return [new zookeeper.ACL(zookeeper.Permission.ALL, anyone)];
  const user = auth.slice(0, auth.indexOf(':'));
  const digest = createHash('sha1').update(auth).digest('base64');
  return [
    new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', `${user}:${digest}`)),
    new zookeeper.ACL(zookeeper.Permission.READ, anyone),
  ];
}

export const OPEN_ACLS = switchAcls(undefined);

/** A zxid or timestamp from a Stat (8 big-endian bytes). */
export function longOf(buf: Buffer): bigint {
  return buf.readBigInt64BE(0);
}

export function createZkClient(connect: string, options: { sessionTimeoutMs: number; auth: string | undefined }): Client {
  const client = zookeeper.createClient(connect, { sessionTimeout: options.sessionTimeoutMs, spinDelay: 500, retries: 0 });
  // Sent again by the client after every reconnect.
  if (options.auth) client.addAuthInfo('digest', Buffer.from(options.auth));
  return client;
}

/** Closes a client for good, including a socket stuck on a peer that vanished without a reset. */
export function destroyZkClient(client: Client): void {
  client.removeAllListeners();
  client.close();
  // close() only queues a close-session request; on a half-open connection it never leaves, and
  // the socket would stay open for as long as the process lives.
  const manager = (client as unknown as { connectionManager?: { socket?: { destroy?: () => void } } }).connectionManager;
  setTimeout(() => manager?.socket?.destroy?.(), 500).unref();
}

export type ZkOps = ReturnType<typeof zkOps>;

export function zkOps(client: Client, timeoutMs: number, describe: string) {
  function call<T>(what: string, run: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SwitchesUnavailableError(`ZooKeeper at ${describe} did not answer ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      run((err, value) => {
        clearTimeout(timer);
        if (err) reject(err instanceof Error ? err : Object.assign(new Error(String(err)), { zk: err }));
        else resolve(value as T);
      });
    });
  }
  type Watcher = (event: Event) => void;

  return {
    getData(path: string, watcher?: Watcher): Promise<{ data: string; stat: Stat }> {
      return call(`getData ${path}`, (done) => {
        const cb = (err: unknown, data: Buffer | undefined, stat: Stat) => done(err, { data: data ? data.toString('utf8') : '', stat });
        if (watcher) client.getData(path, watcher, cb);
        else client.getData(path, cb);
      });
    },
    getChildren(path: string, watcher?: Watcher): Promise<string[]> {
      return call(`getChildren ${path}`, (done) => {
        const cb = (err: unknown, children: string[]) => done(err, children);
        if (watcher) client.getChildren(path, watcher, cb);
        else client.getChildren(path, cb);
      });
    },
    exists(path: string): Promise<Stat | null> {
      return call(`exists ${path}`, (done) => client.exists(path, (err, stat) => done(err, stat ?? null)));
    },
    create(path: string, data: string | null, acls: ACL[]): Promise<void> {
      return call(`create ${path}`, (done) => {
        if (data === null) client.create(path, acls, (err) => done(err));
        else client.create(path, Buffer.from(data), acls, (err) => done(err));
      });
    },
    setData(path: string, data: string, version: number): Promise<Stat> {
      return call(`setData ${path}`, (done) => client.setData(path, Buffer.from(data), version, (err, stat) => done(err, stat)));
    },
  };
}

/** Creates `path` unless it exists; true when this call created it. */
export async function createIfAbsent(ops: ZkOps, path: string, data: string | null, acls: ACL[]): Promise<boolean> {
  try {
    await ops.create(path, data, acls);
    return true;
  } catch (err) {
    if (isZkError(err, ZK_ERROR.NODE_EXISTS)) return false;
    throw err;
  }
}

/** Creates every missing node on the way to `path` (exclusive) with open ACLs: they are shared ground. */
export async function ensureAncestors(ops: ZkOps, path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const ancestor = `/${parts.slice(0, i).join('/')}`;
    if (!(await ops.exists(ancestor))) await createIfAbsent(ops, ancestor, null, OPEN_ACLS);
  }
}
