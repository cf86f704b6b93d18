import type { Publisher } from '@tokumei/bus';
import { loadConfig, type Config } from '@tokumei/config';
import { buildIngestApp, type IngestApp } from '@tokumei/ingest';
import { decodeRawRecord, type DecodeResult } from '@tokumei/schema';
import { Registry } from 'prom-client';
import { captureLogs, quietLogs } from '../../../test/helpers/logs.js';

export const NOW = Date.parse('2026-03-10T12:00:00Z');

/**
 * An ingest app whose publisher keeps what it was given, decoded the way the worker decodes it, so a test can check
 * every accepted beacon without draining a bus. Property and fuzz tests send thousands of requests through it.
 */
export async function captureIngest(options: { trustProxy?: Config['trustProxy']; quiet?: boolean; env?: Record<string, string> } = {}) {
  const published: DecodeResult[] = [];
  const publisher: Publisher = {
    publish: (messages) => {
      for (const message of messages) published.push(decodeRawRecord(message.value));
      return Promise.resolve();
    },
    pending: () => 0,
    close: () => Promise.resolve(),
  };
  const logs = options.quiet === true ? quietLogs() : captureLogs();
  const config = { ...loadConfig(options.env ?? {}), ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }) };
  const app: IngestApp = await buildIngestApp({
    config, bus: { ready: () => Promise.resolve(true) }, publisher, logger: logs.logger, registry: new Registry(), clock: () => NOW,
  });
  /** Takes what was published since the last call. */
  const take = (): DecodeResult[] => published.splice(0);
  return { app, logs, take };
}

export function postBeacon(app: IngestApp, payload: string | Buffer, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/collect', payload, headers: { 'content-type': 'application/json', ...headers } });
}
