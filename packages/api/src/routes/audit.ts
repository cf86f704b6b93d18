import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TokumeiError } from '@tokumei/errors';
import { limitedDb, type QueryLimits } from '../query-limits.js';

/** Runs the privacy audit in this process (the one holding the store); see @tokumei/audit. */
export interface AuditRunner {
  run(options: { canary: boolean; days?: number; ingest?: string }): Promise<{ readonly passed: boolean }>;
}

const LastQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('markdown')])) }, { additionalProperties: false });

/**
 * `GET /api/audit`: the last privacy audit report, read-only, from ClickHouse (audit_reports), so any API process
 * serves it whichever process ran the audit. JSON by default, `?format=markdown` for the human-readable report.
 */
export const auditRoutes: FastifyPluginAsync<{ clickhouse: ClickHouseClient; limits: QueryLimits }> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/api/audit', { schema: { querystring: LastQuery } }, async (request, reply) => {
    const db = limitedDb(options.clickhouse, options.limits);
    const exists = await db.rows<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'audit_reports'", {});
    const rows = exists.length === 0 ? [] : await db.rows<{ report: string; markdown: string }>(
      'SELECT report, markdown FROM audit_reports ORDER BY created DESC LIMIT 1', {});
    const last = rows[0];
    if (last === undefined) throw new TokumeiError('TKM_NOT_FOUND', 'no privacy audit has run yet: run `tokumei audit`');
    if (request.query.format === 'markdown') return reply.type('text/markdown; charset=utf-8').send(last.markdown);
    return reply.type('application/json; charset=utf-8').send(last.report);
  });
  return Promise.resolve();
};

const RunBody = Type.Object({
  canary: Type.Optional(Type.Boolean()),
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 800 })),
  ingest: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 300 })),
}, { additionalProperties: false });

/**
 * `POST /internal/audit` (control token only): `tokumei audit` asks the running instance to audit, because chDB lets
 * one process open the data directory. Answers the report, whether it passed or not.
 */
export const internalAuditRoutes: FastifyPluginAsync<{ runner: AuditRunner }> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/internal/audit', { schema: { body: RunBody } }, async (request) => {
    const body = request.body;
    return options.runner.run({ canary: body.canary ?? false, days: body.days, ingest: body.ingest });
  });
  return Promise.resolve();
};
