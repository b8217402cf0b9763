// The messaging-API sandbox, for a whole-service trial (ROLE=all) without NOTIFY_API_URL or the
// sandbox role: a notification process of a real deployment without NOTIFY_API_URL must fail at
// start, not record deliveries nobody got. Answers the URL the notification actor calls.
import { buildMessagingSandbox } from '../sandbox/messaging-sandbox.js';
import type { Wiring } from './wiring.js';

export async function wireSandbox({ config, logger, shutdown }: Wiring, wanted: boolean): Promise<string | undefined> {
  if (!wanted) return config.NOTIFY_API_URL;
  const sandbox = buildMessagingSandbox();
  await sandbox.listen({ host: '127.0.0.1', port: config.SANDBOX_PORT });
  const address = sandbox.server.address();
  const port = typeof address === 'object' && address ? address.port : config.SANDBOX_PORT;
  shutdown.add('messaging sandbox', () => sandbox.close());
  logger.info({ url: `http://127.0.0.1:${port}/messages` }, 'messaging sandbox listening (set NOTIFY_API_URL to use a real provider)');
  return config.NOTIFY_API_URL ?? `http://127.0.0.1:${port}`;
}
