// The HTTP app as a factory that never listens: the start file listens, tests inject requests.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from '../platform/logger.js';
import { registerErrorHandler } from './error-handler.js';

export const BODY_LIMIT_BYTES = 64 * 1024;

export async function buildHttpApp(deps: { logger: Logger; routes: readonly FastifyPluginAsync[] }): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'http' });
  const app = Fastify({
    loggerInstance,
    // Logging every request at thousands per second costs more than the request; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Slow senders (slowloris) are cut off instead of holding sockets.
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 65_000,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
  });
  // Only JSON is an API body here; fastify's default text/plain parser would let a wrong
  // Content-Type through to validation instead of a clear 415.
  app.removeContentTypeParser('text/plain');
  registerErrorHandler(app);
  for (const routes of deps.routes) await app.register(routes);
  return app;
}
