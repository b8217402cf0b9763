// One pino root per process; components take child loggers. Personal data (phone numbers,
// addresses, names) and secrets are censored wherever they appear under the usual keys.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'phone',
  '*.phone',
  '*.*.phone',
  'to',
  '*.to',
  'shippingAddress',
  '*.shippingAddress',
  '*.*.shippingAddress',
  'buyer.name',
  '*.buyer.name',
  '*.*.buyer.name',
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
];

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    level: options.level,
    name: options.name ?? 'order-actors',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid },
  });
}
