import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireBearer } from '@tokumei/http';

/** What a process running the worker role offers `tokumei import` (embedded mode: chDB admits one process). */
export interface ImportTarget {
  /**
   * Stores records numbered from `first` in `stream` through the worker; resolves with the number after the last
   * one stored (see handleDirect in @tokumei/worker). Records already stored under the same numbers are skipped.
   */
  store(stream: string, first: bigint, values: readonly Buffer[]): Promise<bigint>;
  /** Destroys the salts of an import run once its records are all stored. Resolves with how many there were. */
  finishRun(run: string): Promise<number>;
}

export interface InternalOptions {
  readonly token: string;
  readonly imports: ImportTarget;
}

/** Imported batches are far larger than a beacon; the limit still bounds what one request can make the process hold. */
const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

const RecordsBody = Type.Object({
  stream: Type.String({ pattern: '^import\\.[0-9a-z.-]{1,80}$' }),
  first: Type.String({ pattern: '^\\d{1,19}$' }),
  // Each record is checked by the worker (decodeRawRecord) like every record from the bus; unreadable ones are counted.
  records: Type.Array(Type.Object({}), { maxItems: 100_000 }),
}, { additionalProperties: false });

/**
 * Routes for local CLI commands only, every one behind the control token the instance wrote to its 0600 instance
 * file. Nothing here is logged but route, status and time (the records hold IPs and user agents).
 */
export const internalRoutes: FastifyPluginAsync<InternalOptions> = async (fastify, options) => {
  requireBearer(fastify, options.token);
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/internal/records', { bodyLimit: IMPORT_BODY_LIMIT, schema: { body: RecordsBody } }, async (request) => {
    const { stream, first, records } = request.body;
    const next = await options.imports.store(stream, BigInt(first), records.map((record) => Buffer.from(JSON.stringify(record))));
    return { next: next.toString() };
  });

  app.post('/internal/import-runs/:run/finish', {
    schema: { params: Type.Object({ run: Type.String({ pattern: '^[0-9a-f]{8,32}$' }) }) },
  }, async (request) => ({ saltsDestroyed: await options.imports.finishRun(request.params.run) }));
  return Promise.resolve();
};
