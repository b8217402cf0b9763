// The HTTP app as a factory that never listens: the start file listens, tests inject requests.
import underPressure from '@fastify/under-pressure';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { answerFrameworkError, registerErrorHandler, RETRY_AFTER_S } from './error-handler.js';
import { registerOpenApi } from './openapi-routes.js';

export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Fastify gives every request a child logger; a pino child serializes its bindings (through the
 * redaction rules) when made, which cost about 3% of the intake's CPU, for loggers that log only
 * on errors. This one becomes a real child on first use.
 */
function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const real = () => (child ??= logger.child(bindings, options));
  const lazy: FastifyBaseLogger = {
    get level() {
      return real().level;
    },
    set level(level) {
      real().level = level;
    },
    fatal: (...args: Parameters<LogFn>) => real().fatal(...args),
    error: (...args: Parameters<LogFn>) => real().error(...args),
    warn: (...args: Parameters<LogFn>) => real().warn(...args),
    info: (...args: Parameters<LogFn>) => real().info(...args),
    debug: (...args: Parameters<LogFn>) => real().debug(...args),
    trace: (...args: Parameters<LogFn>) => real().trace(...args),
    silent: (...args: Parameters<LogFn>) => real().silent(...args),
    child: (moreBindings, moreOptions) => real().child(moreBindings, moreOptions),
  };
  return lazy;
}

export async function buildHttpApp(deps: {
  logger: Logger;
  routes: readonly FastifyPluginAsync[];
  /** Event-loop delay past which new work (POSTs) is refused; reads and health still answer. */
  maxEventLoopDelayMs?: number;
  metrics?: Pick<Metrics, 'intakeRequests'>;
}): Promise<FastifyInstance> {
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
    frameworkErrors: answerFrameworkError,
    childLoggerFactory: lazyChildLogger,
  });
  // Only JSON is an API body here; fastify's default text/plain parser would let a wrong
  // Content-Type through to validation instead of a clear 415.
  app.removeContentTypeParser('text/plain');
  // Routes declare zod schemas for their body, query string and path; fastify checks each request
  // against them before the handler runs, and a refusal reaches the error handler as a 400.
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the answers in the OpenAPI document; replies are sent as they are.
  // Checking each reply against its schema would cost CPU on every accepted order, and a reply that
  // missed its schema would turn into a 500 the client could do nothing about.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  registerErrorHandler(app);
  const { metrics } = deps;
  if (metrics) {
    const counters = new Map<string, { inc(): void }>();
    app.addHook('onResponse', (req, reply, done) => {
      if (req.method === 'POST') {
        const route = req.routeOptions.url ?? 'unknown';
        const outcome = String(reply.statusCode);
        const key = `${route} ${outcome}`;
        let counter = counters.get(key);
        if (!counter) counters.set(key, (counter = metrics.intakeRequests.labels({ route, outcome })));
        counter.inc();
      }
      done();
    });
  }
  if (deps.maxEventLoopDelayMs) {
    await app.register(underPressure, {
      maxEventLoopDelay: deps.maxEventLoopDelayMs,
      pressureHandler: (req, reply, type) => {
        if (req.method !== 'POST') return;
        void reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_S))
          .send({ error: 'overloaded', message: `The service is under pressure (${type}); retry shortly` });
      },
    });
  }
  await registerOpenApi(app);
  for (const routes of deps.routes) await app.register(routes);
  return app;
}
