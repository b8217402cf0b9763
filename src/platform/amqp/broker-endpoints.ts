// AMQP_URL as a list of cluster nodes ("amqp://h1:5672,amqp://h2:5672"): each connection starts at
// a different node, so processes spread over the cluster, and moves to the next node when its own
// is lost. amqplib's recovery reconnects to one address; it reads that address's fields again on
// every attempt, so a rotating view over the list is all it takes to fail over.
import type { Options } from 'amqplib';

export type BrokerEndpoint = Options.Connect & { label: string };

/** Splits and parses an AMQP_URL list; throws with the offending entry. */
export function parseBrokerEndpoints(urls: string, heartbeatS: number): BrokerEndpoint[] {
  const entries = urls
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw new Error('AMQP_URL names no broker; give one amqp:// URL, or several separated by commas');
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      // Whatever stands before the last @ may be a password, slashes and all.
      throw new Error(`AMQP_URL entry "${entry.replace(/\/\/.*@/, '//***@')}" is not a URL`);
    }
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new Error(`AMQP_URL entry for ${url.host} must start with amqp:// or amqps://`);
    const secure = url.protocol === 'amqps:';
    const port = Number(url.port) || (secure ? 5671 : 5672);
    const query = url.searchParams;
    const number = (key: string) => {
      if (!query.has(key)) return undefined;
      const value = query.get(key)!;
      if (!/^\d+$/.test(value)) throw new Error(`AMQP_URL entry for ${url.host}: ${key} must be a whole number, not "${value}"`);
      return Number(value);
    };
    const endpoint: BrokerEndpoint = {
      label: `${url.hostname}:${port}`,
      protocol: secure ? 'amqps' : 'amqp',
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port,
      username: decodeURIComponent(url.username || 'guest'),
      password: decodeURIComponent(url.password || (url.username ? '' : 'guest')),
      vhost: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/',
      heartbeat: number('heartbeat') ?? heartbeatS,
    };
    const frameMax = number('frameMax');
    if (frameMax !== undefined) endpoint.frameMax = frameMax;
    const channelMax = number('channelMax');
    if (channelMax !== undefined) endpoint.channelMax = channelMax;
    return endpoint;
  });
}

// Where the next connection of this process starts in the list: a random first node, then the
// following ones, so one process's connections and many processes spread over the nodes.
let nextStart = Math.floor(Math.random() * 1_000);

/**
 * A view over `endpoints` that amqplib connects to; `advance()` moves it to the next node. It
 * holds the fields amqplib reads from an address object.
 */
export function rotatingEndpoint(endpoints: readonly BrokerEndpoint[]) {
  let index = nextStart++ % endpoints.length;
  const current = () => endpoints[index]!;
  const target = {} as Options.Connect;
  for (const key of ['protocol', 'hostname', 'port', 'username', 'password', 'vhost', 'heartbeat', 'frameMax', 'channelMax', 'locale'] as const) {
    Object.defineProperty(target, key, { enumerable: true, get: () => current()[key] });
  }
  return {
    target,
    current,
    advance(): void {
      index = (index + 1) % endpoints.length;
    },
  };
}
