import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@tokumei/config';

/** A trace-level logger whose output a test can read back, to assert what is (and is never) logged. */
export function captureLogs(level = 'trace'): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ level, destination: stream }), text: () => chunks.join('') };
}

/** Warnings and errors only, still readable back: at trace level, logging costs more than the request itself. */
export function quietLogs(): { logger: Logger; text: () => string } {
  return captureLogs('warn');
}
