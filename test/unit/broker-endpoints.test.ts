// AMQP_URL as a cluster's node list: parsed once, and a connection's view of it moves to the next
// node when asked, wrapping around, as amqplib reads it on every reconnect attempt.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseBrokerEndpoints, rotatingEndpoint } from '../../src/platform/amqp/broker-endpoints.js';

describe('AMQP_URL', () => {
  it('takes one URL or a comma-separated list, with credentials, vhost and heartbeat', () => {
    const [a, b] = parseBrokerEndpoints('amqp://app:s%40cret@10.0.0.1:5681/shop%2Fa?heartbeat=5, amqps://10.0.0.2', 10);
    expect(a).toMatchObject({
      label: '10.0.0.1:5681',
      protocol: 'amqp',
      hostname: '10.0.0.1',
      port: 5681,
      username: 'app',
      password: 's@cret',
      vhost: 'shop/a',
      heartbeat: 5,
    });
    expect(b).toMatchObject({ label: '10.0.0.2:5671', protocol: 'amqps', username: 'guest', password: 'guest', vhost: '/', heartbeat: 10 });
  });

  it('refuses an entry that is not an AMQP URL, naming it without its password', () => {
    expect(() => parseBrokerEndpoints('amqp://a:1,http://b:2', 10)).toThrow(/must start with amqp/);
    expect(() => parseBrokerEndpoints('amqp://user:pw@a:1,not a url', 10)).toThrow(/"not a url" is not a URL/);
    expect(() => parseBrokerEndpoints('amqp://user:pa/ss word@h:1', 10)).toThrow(/"amqp:\/\/\*\*\*@h:1" is not a URL/);
    expect(() => parseBrokerEndpoints('amqp://h:1?heartbeat=abc', 10)).toThrow(/heartbeat must be a whole number/);
    expect(() => loadConfig({ AMQP_URL: 'amqp://a:1,,' })).not.toThrow();
    expect(() => loadConfig({ AMQP_URL: 'amqp://a:1,redis://b' })).toThrow(/AMQP_URL/);
  });

  it('gives each connection a different first node and moves to the next on demand', () => {
    const endpoints = parseBrokerEndpoints('amqp://h:1,amqp://h:2,amqp://h:3', 10);
    const first = rotatingEndpoint(endpoints);
    const second = rotatingEndpoint(endpoints);
    expect(second.target.port).not.toBe(first.target.port);
    const seen = [first.target.port];
    for (let i = 0; i < 3; i++) {
      first.advance();
      seen.push(first.target.port);
    }
    expect(new Set(seen.slice(0, 3))).toEqual(new Set([1, 2, 3]));
    expect(seen[3]).toBe(seen[0]);
  });

  it('checks that the shards a process consumes exist', () => {
    expect(loadConfig({ ACTOR_SHARDS: '3', CONSUME_SHARDS: '0,2' }).CONSUME_SHARDS).toEqual([0, 2]);
    expect(() => loadConfig({ ACTOR_SHARDS: '3', CONSUME_SHARDS: '3' })).toThrow(/CONSUME_SHARDS: shard\(s\) 3 do not exist with ACTOR_SHARDS=3/);
  });
});
