// Structured logging: pino, one JSON event per line, ids as fields, secrets redacted.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

const redactPaths = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
];

export function createLogger(level: string, name = 'tollgate'): Logger {
  return pino({
    name,
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { pid: process.pid },
  });
}
