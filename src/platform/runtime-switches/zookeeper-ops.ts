// node-zookeeper-client's callbacks as promises with deadlines: the client queues requests while it
// is disconnected and never fails them, so without a deadline a write during an outage hangs.
import { createHash } from 'node:crypto';
import zookeeper, { type ACL, type Client, type Event, type Stat } from 'node-zookeeper-client';
import { SwitchesUnavailableError } from './switch-errors.js';

export type { Client as ZkClient, Event as ZkEvent, Stat as ZkStat };
export const ZK_EVENT = zookeeper.Event;
export const ZK_ERROR = zookeeper.Exception;

export function isZkError(err: unknown, code: number): boolean {
  // The client's exceptions carry a numeric `code`; nothing else we meet here does.
  return typeof err === 'object' && err !== null && 'code' in err && err.code === code;
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
  return [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', `${user}:${digest}`)), new zookeeper.ACL(zookeeper.Permission.READ, anyone)];
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

type ConnectionInternals = { socket?: { destroy(): void }; onSocketConnected?: () => void };

/** Closes a client for good, whatever state it is in. */
export function destroyZkClient(client: Client): void {
  const connected = client.getState() === zookeeper.State.SYNC_CONNECTED;
  client.removeAllListeners();
  client.close();
  // The client's connection manager is private, but two of its habits must be undone here.
  const manager = (client as unknown as { connectionManager?: ConnectionInternals }).connectionManager;
  if (!manager) return;
  if (!connected) {
    // Closed while (re)connecting, it may still complete that connection and then read the
    // server's handshake as a reply, which throws from a socket callback and ends the process.
    // Drop the socket it has and any it opens.
    manager.onSocketConnected = function (this: ConnectionInternals) {
      this.socket?.destroy();
    };
    manager.socket?.destroy();
    return;
  }
  // close() only queues a close-session request; on a connection to a server that vanished
  // without a reset it never leaves, and the socket would stay open as long as the process.
  setTimeout(() => manager.socket?.destroy(), 1_000).unref();
}

const CONNECTION_ERRORS = [ZK_ERROR.CONNECTION_LOSS, ZK_ERROR.SESSION_EXPIRED, ZK_ERROR.OPERATION_TIMEOUT];

export type ZkOps = ReturnType<typeof zkOps>;

export function zkOps(client: Client, timeoutMs: number, describe: string) {
  function call<T>(what: string, run: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SwitchesUnavailableError(`ZooKeeper at ${describe} did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
      run((err, value) => {
        clearTimeout(timer);
        if (!err) resolve(value as T);
        // Lost on the way (a server gone, no quorum): for every caller that is ZooKeeper being
        // unreachable, as a timeout is; a write's fate is then unknown, so it says so.
        else if (CONNECTION_ERRORS.some((code) => isZkError(err, code))) {
          reject(
            new SwitchesUnavailableError(
              `ZooKeeper at ${describe} lost the connection during ${what}; if it was a change, read the switch before trying again`,
              err,
            ),
          );
        } else reject(err instanceof Error ? err : new Error(`ZooKeeper ${what} failed`, { cause: err }));
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

/**
 * Writes `text` to `path` by compare-and-set on the data version, so `previousRaw` is the value
 * this write replaced (what the audit records as the old value); creates the node when missing.
 */
export async function compareAndSet(
  ops: ZkOps,
  path: string,
  text: string,
  acls: ACL[],
): Promise<{ previousRaw: string | undefined; data: string; stat: Stat }> {
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const before = await ops.getData(path);
        return { previousRaw: before.data, data: text, stat: await ops.setData(path, text, before.stat.version) };
      } catch (err) {
        if (isZkError(err, ZK_ERROR.BAD_VERSION)) continue;
        if (!isZkError(err, ZK_ERROR.NO_NODE)) throw err;
        if (!(await createIfAbsent(ops, path, text, acls))) continue;
        return { previousRaw: undefined, ...(await ops.getData(path)) };
      }
    }
  } catch (err) {
    if (isZkError(err, ZK_ERROR.NO_AUTH)) {
      throw new SwitchesUnavailableError(`ZooKeeper refused to change ${path}: the node is protected and ZK_AUTH does not hold its credential`, err);
    }
    throw err;
  }
  throw new SwitchesUnavailableError(`${path} kept changing while we wrote it; try again`);
}

/** Creates every missing node on the way to `path` (exclusive) with open ACLs: they are shared ground. */
export async function ensureAncestors(ops: ZkOps, path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const ancestor = `/${parts.slice(0, i).join('/')}`;
    if (!(await ops.exists(ancestor))) await createIfAbsent(ops, ancestor, null, OPEN_ACLS);
  }
}
