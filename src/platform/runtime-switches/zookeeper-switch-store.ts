// Switch values kept current from ZooKeeper: read all at start, then one data watch per switch and a
// children watch on the folder, each re-armed by the read that follows its event, so decisions read
// memory and a flip reaches every process in milliseconds. Outages never stop the process: it serves
// the last good values (or the code defaults) and rebuilds its session when ZooKeeper is back.
import type { Logger } from '../logger.js';
import { createLastGoodValues } from './last-good-values.js';
import { SwitchesUnavailableError } from './switch-errors.js';
import { formatSwitchValue, SWITCH_NAME_PATTERN, type SwitchRegistry, type SwitchValue } from './switch-registry.js';
import type { StoredSwitch, StoreSession, SwitchStore } from './switch-store.js';
import {
  compareAndSet,
  createIfAbsent,
  createZkClient,
  destroyZkClient,
  ensureAncestors,
  isZkError,
  longOf,
  switchAcls,
  ZK_ERROR,
  ZK_EVENT,
  zkOps,
  type ZkClient,
  type ZkEvent,
  type ZkOps,
  type ZkStat,
} from './zookeeper-ops.js';

export type ZookeeperSwitchStoreOptions = {
  /** host:port[,host:port…] */
  connect: string;
  /** Switches live under `<root>/switches/<name>`. */
  root: string;
  /** digest `user:password`: sent on every session, and switch nodes are created writable only with it. */
  auth: string | undefined;
  sessionTimeoutMs: number;
  /** How long start() waits for ZooKeeper before resolving `synced: false` (and reconnecting in the background). */
  startTimeoutMs: number;
  registry: SwitchRegistry;
  logger: Logger;
  hooks?: {
    /** A value was refused (for a metric). */
    onInvalidValue?(name: string): void;
  };
};

/** One ZooKeeper session. A new one replaces it after expiry or a long silence; callbacks of an old one are ignored. */
type Session = {
  client: ZkClient;
  ops: ZkOps;
  connected: boolean;
  synced: boolean;
  retryPending: boolean;
  watchers: Map<string, (event: ZkEvent) => void>;
  childWatcher: (event: ZkEvent) => void;
};

/** Long by design: one ZooKeeper session's life (connect, watch, expire, replace) shares its state; the operations it uses are in zookeeper-ops.ts. */
export function createZookeeperSwitchStore(options: ZookeeperSwitchStoreOptions): SwitchStore {
  const { registry, sessionTimeoutMs } = options;
  const folder = `${options.root}/switches`;
  const acls = switchAcls(options.auth);
  const logger = options.logger.child({ module: 'switches', zookeeper: options.connect, folder });
  const book = createLastGoodValues({ registry, logger, onInvalidValue: (name) => options.hooks?.onInvalidValue?.(name) });
  // Probes every quarter session: two unanswered probes make the values stale; a whole session
  // without an answer means the server has expired us (or will), so a new session is due.
  const probeEveryMs = Math.max(250, Math.floor(sessionTimeoutMs / 4));
  let session: Session | null = null;
  let lastHeardAt = Date.now();
  let lastProbeAt = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let firstSync: (() => void) | undefined;
  let state: StoreSession = { state: 'connecting', since: new Date() };
  const enter = (next: StoreSession['state']) => {
    if (state.state !== next) state = { state: next, since: new Date() };
  };

  const pathOf = (name: string) => `${folder}/${name}`;
  const current = (s: Session) => s === session && !closed;

  function openSession(): Session {
    const client = createZkClient(options.connect, { sessionTimeoutMs, auth: options.auth });
    const s: Session = {
      client,
      ops: zkOps(client, sessionTimeoutMs, options.connect),
      connected: false,
      synced: false,
      retryPending: false,
      watchers: new Map(),
      childWatcher: () => {
        if (current(s)) readChildren(s, { onlyNew: true }).catch((err: unknown) => retryLater(s, err));
      },
    };
    client.on('connected', () => {
      if (!current(s)) return;
      s.connected = true;
      enter('connected');
      lastHeardAt = Date.now();
      logger.info('connected to ZooKeeper; reading switches');
      void sync(s);
    });
    client.on('disconnected', () => {
      if (!current(s)) return;
      s.connected = false;
      s.synced = false;
      enter('disconnected');
      logger.warn('lost ZooKeeper; serving the last known switch values while reconnecting');
    });
    client.on('expired', () => {
      if (current(s)) replaceSession('the ZooKeeper session expired');
    });
    client.on('authenticationFailed', () => {
      if (current(s)) logger.error('ZooKeeper refused the ZK_AUTH credentials; switch values cannot be read');
    });
    client.connect();
    return s;
  }

  function replaceSession(reason: string): void {
    if (closed) return;
    enter('expired');
    logger.warn({ reason }, 'replacing the ZooKeeper client with a new session; last known switch values serve meanwhile');
    const old = session;
    session = openSession();
    lastHeardAt = Date.now();
    if (old) destroyZkClient(old.client);
  }

  /** Makes sure every known switch exists, then reads them all and watches for changes. */
  async function sync(s: Session): Promise<void> {
    try {
      await ensureAncestors(s.ops, options.root);
      await createIfAbsent(s.ops, options.root, null, acls);
      await createIfAbsent(s.ops, folder, null, acls);
      const createdHere = new Set<string>();
      for (const def of registry.values()) {
        try {
          if (await createIfAbsent(s.ops, pathOf(def.name), formatSwitchValue(def.default), acls)) createdHere.add(def.name);
        } catch (err) {
          if (!isZkError(err, ZK_ERROR.NO_AUTH)) throw err;
          logger.warn({ path: pathOf(def.name) }, 'cannot create a missing switch: ZooKeeper refused (set ZK_AUTH); its code default serves');
        }
      }
      for (const name of createdHere) logger.info({ path: pathOf(name) }, 'created a missing switch with its default');
      await readChildren(s, { onlyNew: false, createdHere });
      if (!current(s)) return;
      s.synced = true;
      lastHeardAt = Date.now();
      logger.info({ switches: Object.fromEntries(book.all().map((v) => [v.name, v.value])) }, 'switches loaded from ZooKeeper');
      firstSync?.();
    } catch (err) {
      retryLater(s, err);
    }
  }

  /** A read failed while the session lives on (a timeout, a hiccup): read everything again shortly. */
  function retryLater(s: Session, err: unknown): void {
    if (!current(s) || s.retryPending) return;
    s.retryPending = true;
    logger.warn({ err }, 'could not read switches from ZooKeeper; trying again in a second');
    setTimeout(() => {
      s.retryPending = false;
      if (current(s) && s.connected) void sync(s);
    }, 1_000).unref();
  }

  async function readChildren(s: Session, how: { onlyNew: boolean; createdHere?: Set<string> }): Promise<void> {
    const children = await s.ops.getChildren(folder, s.childWatcher);
    if (!current(s)) return;
    const names = children.filter((name) => {
      if (SWITCH_NAME_PATTERN.test(name)) return true;
      logger.warn({ path: pathOf(name) }, 'ignoring a node that is not a switch name');
      return false;
    });
    await Promise.all(names.filter((n) => !how.onlyNew || !s.watchers.has(n)).map((n) => readSwitch(s, n, how.createdHere?.has(n) ?? false)));
  }

  async function readSwitch(s: Session, name: string, createdHere: boolean): Promise<void> {
    const path = pathOf(name);
    let watcher = s.watchers.get(name);
    if (!watcher) {
      // One function per node: the client keeps one registration per (path, function), so
      // re-reads after a reconnect do not pile up watches.
      watcher = (event: ZkEvent) => {
        if (!current(s)) return;
        if (event.getType() === ZK_EVENT.NODE_DELETED) {
          s.watchers.delete(name);
          logger.warn({ path }, 'a switch node was deleted; keeping its last value until it is created again');
          return;
        }
        readSwitch(s, name, false).catch((err: unknown) => retryLater(s, err));
      };
      s.watchers.set(name, watcher);
    }
    try {
      const { data, stat } = await s.ops.getData(path, watcher);
      if (current(s)) apply(name, data, stat, createdHere);
    } catch (err) {
      if (!isZkError(err, ZK_ERROR.NO_NODE)) throw err;
      s.watchers.delete(name);
    }
  }

  function apply(name: string, raw: string, stat: ZkStat, createdHere: boolean): void {
    book.apply({
      name,
      path: pathOf(name),
      raw,
      version: stat.version,
      mzxid: longOf(stat.mzxid).toString(),
      modifiedAt: new Date(Number(longOf(stat.mtime))),
      createdHere,
    });
  }

  function tick(): void {
    const s = session;
    if (closed || !s) return;
    const now = Date.now();
    if (s.connected && now - lastProbeAt >= probeEveryMs) {
      lastProbeAt = now;
      // The client does not notice a peer that vanished without a reset: ask, and count answers.
      s.ops.exists(folder).then(
        () => {
          if (current(s)) lastHeardAt = Date.now();
        },
        () => undefined,
      );
    }
    // The client library alone can wait forever: on a connection whose server went silent (it
    // only learns of an expired session when a server tells it), and on a reconnect whose TCP
    // handshake succeeded but whose session handshake is never answered.
    if (now - lastHeardAt > sessionTimeoutMs) {
      replaceSession(`no answer from ZooKeeper for ${now - lastHeardAt} ms ${s.connected ? 'on an open connection' : 'while reconnecting'}`);
    }
  }

  async function write(name: string, value: SwitchValue): Promise<{ previousRaw: string | undefined; current: StoredSwitch }> {
    const s = session;
    if (!s || !s.connected) throw new SwitchesUnavailableError(`ZooKeeper at ${options.connect} is not connected; the switch was not changed`);
    const written = await compareAndSet(s.ops, pathOf(name), formatSwitchValue(value), acls);
    apply(name, written.data, written.stat, false);
    return { previousRaw: written.previousRaw, current: book.get(name)! };
  }

  return {
    async start() {
      const loaded = new Promise<boolean>((resolve) => {
        firstSync = () => resolve(true);
      });
      session = openSession();
      timer = setInterval(tick, Math.min(1_000, probeEveryMs));
      timer.unref();
      let waited: NodeJS.Timeout | undefined;
      const synced = await Promise.race([loaded, new Promise<boolean>((r) => (waited = setTimeout(() => r(false), options.startTimeoutMs)))]);
      clearTimeout(waited);
      if (!synced) {
        logger.warn(
          { waitedMs: options.startTimeoutMs },
          'ZooKeeper did not answer at start; reconnecting in the background (until then, values not read from it serve)',
        );
      }
      return { synced };
    },
    get: book.get,
    all: book.all,
    rejected: book.rejected,
    write,
    onObserve: book.onObserve,
    isStale() {
      const s = session;
      return !s || !s.connected || !s.synced || Date.now() - lastHeardAt > 2 * probeEveryMs + 500;
    },
    session: () => state,
    async close() {
      closed = true;
      enter('closed');
      clearInterval(timer);
      const s = session;
      session = null;
      if (s) destroyZkClient(s.client);
    },
  };
}
