import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@tokumei/config';

/** A trace-level logger whose output a test can read back, to assert what is (and is never) logged. */
export function captureLogs(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ level: 'trace', destination: stream }), text: () => chunks.join('') };
}
