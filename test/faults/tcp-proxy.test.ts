// The TCP proxy the network-fault tests stand on, checked against a local echo server: if it did not
// break the network the way it says, those tests would prove nothing.
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

let echo: net.Server;
let proxy: TcpProxy;

beforeAll(async () => {
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  proxy = await startTcpProxy({ port: (echo.address() as AddressInfo).port });
});

afterAll(async () => {
  await proxy?.close();
  await new Promise((resolve) => echo?.close(resolve));
});

/** A client through the proxy that records what comes back and how it ended. */
async function client(): Promise<{ socket: Socket; received: () => Buffer; ended: () => string | null }> {
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
  const chunks: Buffer[] = [];
  let ended: string | null = null;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', (err: NodeJS.ErrnoException) => (ended = err.code ?? err.message));
  socket.on('close', () => (ended ??= 'closed'));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, received: () => Buffer.concat(chunks), ended: () => ended };
}

it('pass forwards both ways', async () => {
  proxy.setMode({ mode: 'pass' });
  const c = await client();
  c.socket.write('hello');
  await waitFor(() => c.received().toString() === 'hello', { what: 'the echo' });
  c.socket.destroy();
});

it('blackhole holds what is sent, and delivers all of it, in order, once the network heals', async () => {
  proxy.setMode({ mode: 'pass' });
  const c = await client();
  proxy.setMode({ mode: 'blackhole' });
  c.socket.write('one,');
  c.socket.write('two');
  // A fresh connection in the blackhole is accepted, and its dependency hears nothing of it.
  const late = await client();
  late.socket.write('late');
  await new Promise((r) => setTimeout(r, 300));
  expect(c.received().length).toBe(0);
  expect(late.received().length).toBe(0);
  proxy.setMode({ mode: 'pass' });
  await waitFor(() => c.received().toString() === 'one,two' && late.received().toString() === 'late', { what: 'the held data' });
  c.socket.destroy();
  late.socket.destroy();
});

it('cut resets every open connection and every new one', async () => {
  proxy.setMode({ mode: 'pass' });
  const c = await client();
  proxy.setMode({ mode: 'cut' });
  await waitFor(() => c.ended() ?? undefined, { what: 'the open connection to be reset' });
  expect(c.ended()).toBe('ECONNRESET');
  const fresh = net.connect({ host: '127.0.0.1', port: proxy.port });
  const outcome = await new Promise<string>((resolve) => {
    fresh.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    fresh.once('close', () => resolve('closed'));
  });
  expect(outcome).toBe('ECONNRESET');
  proxy.setMode({ mode: 'pass' });
});

it('throttle lets a burst through at the set rate, intact', async () => {
  proxy.setMode({ mode: 'throttle', bytesPerSecond: 20_000 });
  const c = await client();
  const burst = Buffer.alloc(30_000, 'x');
  c.socket.write(burst);
  await new Promise((r) => setTimeout(r, 500));
  // Half a second at 20 kB/s each way is at most ~10 kB echoed back.
  expect(c.received().length).toBeLessThan(15_000);
  await waitFor(() => c.received().length === burst.length, { what: 'the whole burst', timeoutMs: 10_000 });
  expect(c.received().equals(burst)).toBe(true);
  c.socket.destroy();
  proxy.setMode({ mode: 'pass' });
});
