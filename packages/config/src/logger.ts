import { destination, multistream, pino, type Logger } from 'pino';

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
  /** Also append every line to this file (TOKUMEI_LOG_FILE), which the privacy audit searches for canary values. */
  readonly file?: string;
}

export function createLogger(options: LoggerOptions): Logger {
  const main = options.destination ?? destination({ sync: false });
  return pino(
    { level: options.level, base: { service: 'tokumei' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    options.file === undefined ? main : multistream([
      // The logger's own level filters; each stream takes everything it is given.
      { level: 'trace', stream: main },
      { level: 'trace', stream: destination({ dest: options.file, append: true, mkdir: true, sync: false, mode: 0o600 }) },
    ]),
  );
}
