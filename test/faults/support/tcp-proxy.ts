// A TCP proxy between the service and one dependency, to break the network the way a real one
// breaks (this machine has no tc netem and no Toxiproxy):
//   pass       forwards both ways;
//   cut        resets every connection and every new one (a dead link or a refusing host);
//   blackhole  accepts and holds connections but forwards nothing, like a partition with TCP still
//              retransmitting: what was sent arrives once the mode is back to pass;
//   throttle   forwards at most `bytesPerSecond` each way.
import net, { type AddressInfo, type Socket } from 'node:net';

export type ProxyMode = { mode: 'pass' } | { mode: 'cut' } | { mode: 'blackhole' } | { mode: 'throttle'; bytesPerSecond: number };

const TICK_MS = 50;
/** Bytes queued in one direction before the proxy stops reading from the sender. */
const HIGH_WATER = 1 << 20;

type Direction = { toward: 'upstream' | 'client'; from: Socket | null; to: Socket | null; queue: Buffer[]; queued: number; ended: boolean };
type Link = { client: Socket; upstream: Socket | null; upstreamClosed: boolean; up: Direction; down: Direction };

export type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>;

/** The same service URL (amqp://, postgres://), pointed at `proxy` on this machine instead. */
export function throughProxy(url: string, proxy: { port: number }): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

const DEFAULT_PORTS: Record<string, number> = { 'amqp:': 5672, 'postgres:': 5432, 'postgresql:': 5432 };

/** A proxy in front of the service at `url` (amqp://, postgres://); throughProxy gives the URL through it. */
export function proxyInFrontOf(url: string): Promise<TcpProxy> {
  const u = new URL(url);
  const port = Number(u.port || DEFAULT_PORTS[u.protocol]);
  if (!port) throw new Error(`No port in ${u.protocol}//${u.host} and none known for ${u.protocol}: put the port in the URL`);
  return startTcpProxy({ host: u.hostname, port });
}

export async function startTcpProxy(target: { host?: string; port: number }) {
  const host = target.host ?? '127.0.0.1';
  let mode: ProxyMode = { mode: 'pass' };
  const links = new Set<Link>();
  let budget = Infinity;
  const forwarded = { upstream: 0, client: 0 };

  const ticker = setInterval(() => {
    if (mode.mode !== 'throttle') return;
    budget = Math.max(1, Math.floor((mode.bytesPerSecond * TICK_MS) / 1000));
    for (const link of links) pumpLink(link);
  }, TICK_MS);
  ticker.unref();

  function destroy(link: Link, reset: boolean): void {
    links.delete(link);
    for (const s of [link.client, link.upstream]) {
      if (!s || s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  }

  function pump(d: Direction): void {
    if (!d.from || !d.to || d.to.destroyed) return;
    if (mode.mode === 'blackhole' || mode.mode === 'cut') return;
    while (d.queue.length > 0) {
      let chunk = d.queue[0]!;
      if (mode.mode === 'throttle') {
        if (budget <= 0) break;
        if (chunk.length > budget) {
          d.queue[0] = chunk.subarray(budget);
          chunk = chunk.subarray(0, budget);
        } else {
          d.queue.shift();
        }
        budget -= chunk.length;
      } else {
        d.queue.shift();
      }
      d.queued -= chunk.length;
      forwarded[d.toward] += chunk.length;
      d.to.write(chunk);
    }
    if (d.queued < HIGH_WATER && d.from.isPaused()) d.from.resume();
    if (d.queue.length === 0 && d.ended && !d.to.writableEnded) d.to.end();
  }

  function pumpLink(link: Link): void {
    pump(link.up);
    pump(link.down);
    // The dependency hung up: the client hears of it once what was sent before has reached it.
    if (link.upstreamClosed && link.down.queue.length === 0 && mode.mode !== 'blackhole') destroy(link, false);
  }

  function wire(link: Link, d: Direction, from: Socket): void {
    d.from = from;
    from.on('data', (chunk: Buffer) => {
      d.queue.push(chunk);
      d.queued += chunk.length;
      if (d.queued >= HIGH_WATER) from.pause();
      pumpLink(link);
    });
    from.on('end', () => {
      d.ended = true;
      pumpLink(link);
    });
  }

  function connectUpstream(link: Link): void {
    const upstream = net.connect({ host, port: target.port });
    upstream.setNoDelay(true);
    link.upstream = upstream;
    link.up.to = upstream;
    wire(link, link.down, upstream);
    upstream.on('connect', () => pumpLink(link));
    upstream.on('error', () => undefined);
    upstream.on('close', () => {
      link.upstreamClosed = true;
      pumpLink(link);
    });
  }

  const server = net.createServer((client) => {
    client.setNoDelay(true);
    if (mode.mode === 'cut') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const link: Link = {
      client,
      upstream: null,
      upstreamClosed: false,
      up: { toward: 'upstream', from: null, to: null, queue: [], queued: 0, ended: false },
      down: { toward: 'client', from: null, to: client, queue: [], queued: 0, ended: false },
    };
    links.add(link);
    wire(link, link.up, client);
    client.on('error', () => destroy(link, false));
    client.on('close', () => destroy(link, false));
    // In a blackhole the dependency never hears of the new connection until the network heals.
    if (mode.mode !== 'blackhole') connectUpstream(link);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    get mode(): ProxyMode {
      return mode;
    },
    connections: () => links.size,
    /** Bytes passed on so far, toward the dependency and toward its clients: what really crossed the link. */
    bytesForwarded: () => ({ ...forwarded }),
    setMode(next: ProxyMode): void {
      mode = next;
      budget = next.mode === 'throttle' ? Math.max(1, Math.floor((next.bytesPerSecond * TICK_MS) / 1000)) : Infinity;
      if (next.mode === 'cut') {
        for (const link of [...links]) destroy(link, true);
        return;
      }
      if (next.mode === 'blackhole') return;
      for (const link of links) {
        if (!link.upstream) connectUpstream(link);
        pumpLink(link);
      }
    },
    async close(): Promise<void> {
      clearInterval(ticker);
      for (const link of [...links]) destroy(link, false);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
