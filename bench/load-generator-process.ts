// The load generator's process (see load-generator.ts): autocannon on a core of its own rather
// than inside the bench, so that its CPU is measured apart and the bench's polling and verifying do
// not slow the load down. It answers one request at a time over IPC and exits when the bench
// disconnects, or dies.
import type { FromLoadGenerator, ToLoadGenerator } from './load-generator.js';
import { fireOrdersAtAll, orderBodies } from './order-load.js';

let prepared: { urls: string[]; runId: string; connections: number; bodies: string[] } | undefined;

function reply(message: FromLoadGenerator): void {
  process.send?.(message);
}

function failed(err: unknown): void {
  console.error('load generator:', err);
  reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
}

process.on('message', (message: ToLoadGenerator) => {
  try {
    if (message.type === 'prepare') {
      prepared = { urls: message.urls, runId: message.runId, connections: message.connections, bodies: orderBodies(message.runId, message.count) };
      reply({ type: 'prepared' });
      return;
    }
    const run = prepared;
    prepared = undefined;
    if (!run) throw new Error('fire before prepare');
    void fireOrdersAtAll(run).then((result) => reply({ type: 'fired', result }), failed);
  } catch (err) {
    failed(err);
  }
});
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
