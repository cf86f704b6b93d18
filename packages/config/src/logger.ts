import { destination, pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may hold personal data if a raw record or request ever reaches a log call by mistake. Redaction is
 * the safety net; the rule is still never to pass them to the logger.
 */
export const REDACT_PATHS = [
  'ip', 'ua', 'sid', 'cookie', 'url', 'referrer',
  '*.ip', '*.ua', '*.sid', '*.cookie', '*.url', '*.referrer',
  'req.headers', 'req.remoteAddress', 'req.ip', 'headers.cookie', 'headers["user-agent"]',
  'headers["x-forwarded-for"]', 'record', '*.record',
];

export interface LoggerOptions {
  readonly level: string;
  /** Where log lines go; tests and the audit pass a stream to read them back. */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { level: options.level, base: { service: 'tokumei' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    options.destination ?? destination({ sync: false }),
  );
}
