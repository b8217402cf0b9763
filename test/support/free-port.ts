// Free loopback ports for the processes and private instances tests start (a private ZooKeeper, the
// fault suite's services, broker and database), so test files run beside each other without fixed
// port numbers.
import net from 'node:net';

// Below the kernel's ephemeral range (32768–60999 on Linux): a port the system hands out for
// `listen(0)` can be taken a moment later as the local end of some outgoing connection (to the
// broker, the database), and a service restarted on its old port would then fail with EADDRINUSE.
const RANGE = { from: 20_000, to: 32_000 };

function tryListen(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// Ports handed out in this process are not handed out again (two asked for at once, one of them
// not listening yet, would otherwise both pass the probe).
const handedOut = new Set<number>();

/** A loopback port nothing listens on now, outside the range outgoing connections take ports from. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port between ${RANGE.from} and ${RANGE.to} after 200 tries`);
}

/** Resolves once something accepts TCP connections on host:port, or rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.setTimeout(1_000);
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
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
