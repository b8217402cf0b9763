// A local HTTP server standing in for the receiver behind ALERT_WEBHOOK_URL: it keeps every alert
// posted to it, in order, for a test to read the way an on-call engineer would.
import { createServer } from 'node:http';

export type AlertReceiver = { url: string; alerts: Array<Record<string, unknown>>; close(): Promise<void> };

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const alerts: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      alerts.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/alerts`,
    alerts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
