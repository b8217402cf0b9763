// Finds RabbitMQ, PostgreSQL and ZooKeeper for the suite: the configured URLs (local defaults),
// or, where those do not answer and a Docker engine does, containers started with testcontainers.
import net from 'node:net';
import type { TestProject } from 'vitest/node';

export type Services = { amqpUrl: string; databaseUrl: string; zkConnect: string };

declare module 'vitest' {
  export interface ProvidedContext {
    services: Services;
  }
}

function answers(hostPort: string, fallbackPort: number): Promise<boolean> {
  const rest =
    hostPort
      .replace(/^[a-z]+:\/\//, '')
      .replace(/^[^@]*@/, '')
      .split(/[/,]/)[0] ?? '';
  const [host = '127.0.0.1', port = String(fallbackPort)] = rest.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services: Services = {
    amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    zkConnect: process.env.ZK_CONNECT ?? '127.0.0.1:2181',
  };
  const stops: Array<() => Promise<unknown>> = [];
  const missing = {
    amqp: !(await answers(services.amqpUrl, 5672)),
    pg: !(await answers(services.databaseUrl, 5432)),
    zk: !(await answers(services.zkConnect, 2181)),
  };
  if (missing.amqp || missing.pg || missing.zk) {
    // Only reached on a machine where the services are not installed (e.g. a laptop with Docker):
    // `npm test` starts local services first wherever it can.
    const { GenericContainer, Wait } = await import('testcontainers');
    if (missing.amqp) {
      const c = await new GenericContainer('rabbitmq:3.13.7-management')
        .withExposedPorts(5672)
        .withWaitStrategy(Wait.forLogMessage('Server startup complete'))
        .start();
      services.amqpUrl = `amqp://guest:guest@${c.getHost()}:${c.getMappedPort(5672)}`;
      stops.push(() => c.stop());
    }
    if (missing.pg) {
      const c = await new GenericContainer('postgres:15.10')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
        .start();
      services.databaseUrl = `postgres://postgres@${c.getHost()}:${c.getMappedPort(5432)}/postgres`;
      stops.push(() => c.stop());
    }
    if (missing.zk) {
      const c = await new GenericContainer('zookeeper:3.8.4').withExposedPorts(2181).withWaitStrategy(Wait.forListeningPorts()).start();
      services.zkConnect = `${c.getHost()}:${c.getMappedPort(2181)}`;
      stops.push(() => c.stop());
    }
  }
  project.provide('services', services);
  return async () => {
    for (const stop of stops) await stop();
  };
}
