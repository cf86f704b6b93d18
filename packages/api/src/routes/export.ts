import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ERRORS, TokumeiError, type ErrorCode } from '@tokumei/errors';
import { csv } from '../export/csv.js';
import { zip } from '../export/zip.js';
import { TABLE_NAMES, exportAll, exportCustomProps, exportTable, tableSpec, type AskV2, type CsvTable, type ExportView, type V2Answer } from '../export/tables.js';
import { SHARE_HEADER } from '../shares/auth.js';

export interface ExportRouteOptions {
  readonly clock: () => number;
  /** The site's allow-listed property keys (TOKUMEI_PROPS_ALLOWLIST), for custom_props.csv. */
  readonly propKeys: (site: string) => readonly string[];
}

/**
 * The whole export's time. Each of its ~20 questions is a request of its own to `POST /api/v2/query`, with that
 * route's limits (4 s, 256 MiB, 5,000 rows); no new question starts after this, so an export cannot keep embedded
 * ClickHouse busy for long.
 */
export const EXPORT_MS = 30_000;
/** Plausible exports up to 25 property keys; one question each. */
const MAX_PROP_KEYS = 25;
/** What a question to the query route carries of the export's request: who asks, nothing else. */
const FORWARDED = ['authorization', SHARE_HEADER, 'cookie'] as const;

const Format = Type.Optional(Type.Union([Type.Literal('zip'), Type.Literal('csv')], { description: 'zip (default): every table; csv: the one named by table' }));
const Table = Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$', description: `with format=csv: ${TABLE_NAMES.join(', ')}` }));
const ExportQuery = Type.Object({
  site_id: Type.String({ minLength: 1, maxLength: 100 }),
  date_range: Type.String({ minLength: 1, maxLength: 100, description: 'a v2 shortcut (7d, month, …) or from,to (dates or datetimes)' }),
  filters: Type.Optional(Type.String({ maxLength: 16_000, description: 'v2 filters as JSON' })),
  format: Format,
  table: Table,
}, { additionalProperties: false });
const ExportBody = Type.Object({
  site_id: Type.String({ minLength: 1, maxLength: 100 }),
  date_range: Type.Unknown({ description: 'as in POST /api/v2/query' }),
  filters: Type.Optional(Type.Array(Type.Unknown(), { description: 'as in POST /api/v2/query' })),
  format: Format,
  table: Table,
}, { additionalProperties: false });
const Binary = Type.Unsafe({ type: 'string', format: 'binary', description: 'application/zip, or text/csv with format=csv' });

function parseFilters(raw: string | undefined): unknown[] {
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) throw new TokumeiError('TKM_INVALID_QUERY', 'filters: must be the v2 filter list as JSON');
  return parsed;
}

/** A file name from the site as asked (v2 takes any 1-100 characters): only characters safe in a header and a path. */
const safe = (text: string) => text.replace(/[^A-Za-z0-9.-]/g, '_');
const isCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERRORS, code);

/**
 * `GET|POST /api/v2/export`: the dashboard's tables for one view as a ZIP of CSVs (Plausible's export), or one table
 * as CSV. Every table is asked of `POST /api/v2/query` itself (fastify's inject, with the caller's credentials), so
 * a CSV says exactly what the API says, k-anonymity, refusals and limits included, and a shared link's export goes
 * through the same door as its other questions (export/tables.ts lists the questions).
 */
export const exportRoutes: FastifyPluginAsync<ExportRouteOptions> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  function asker(request: FastifyRequest, deadline: number): AskV2 {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of FORWARDED) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return async (body) => {
      if (options.clock() >= deadline) throw new TokumeiError('TKM_QUERY_LIMIT', 'the export reached its time limit: ask for a shorter range');
      const res = await fastify.inject({ method: 'POST', url: '/api/v2/query', headers, payload: JSON.stringify(body) });
      if (res.statusCode === 200) return res.json<V2Answer>();
      const error = (res.json<{ error?: { code?: unknown; message?: unknown } }>()).error;
      const message = typeof error?.message === 'string' ? error.message : undefined;
      throw new TokumeiError(isCode(error?.code) ? error.code : 'TKM_INTERNAL', message);
    };
  }

  async function answer(request: FastifyRequest, reply: FastifyReply, view: ExportView, format: 'zip' | 'csv' | undefined, table: string | undefined) {
    const now = options.clock();
    const ask = asker(request, now + EXPORT_MS);
    const keys = [...options.propKeys(view.siteId)].sort().slice(0, MAX_PROP_KEYS);
    const encode = (t: CsvTable) => Buffer.from(csv(t.header, t.rows), 'utf8');
    void reply.header('cache-control', 'no-store');
    if (format === 'csv') {
      if (table === undefined) throw new TokumeiError('TKM_INVALID_QUERY', `table: format=csv needs one of ${TABLE_NAMES.join(', ')}`);
      const spec = tableSpec(table);
      const one = 'dimensions' in spec ? await exportTable(ask, view, spec) : await exportCustomProps(ask, view, keys);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${one.name}.csv"`).send(encode(one));
    }
    if (table !== undefined) throw new TokumeiError('TKM_INVALID_QUERY', 'table: only with format=csv');
    const { tables, omitted, dateRange } = await exportAll(ask, view, keys);
    const days = Array.isArray(dateRange) ? dateRange.map((d) => String(d).slice(0, 10)) : [];
    const file = `${safe(view.siteId)}${days.map((d) => `_${safe(d)}`).join('')}.zip`;
    if (omitted.length > 0) void reply.header('x-tokumei-export-omitted', omitted.join(','));
    return reply.type('application/zip').header('content-disposition', `attachment; filename="${file}"`)
      .send(zip(tables.map((t) => ({ name: `${t.name}.csv`, data: encode(t) })), new Date(now)));
  }

  const docs = { tags: ['export'], summary: 'The dashboard\'s tables for one view: a ZIP of CSVs, or one CSV (format=csv&table=…)', response: { 200: Binary } };
  app.get('/api/v2/export', { schema: { ...docs, querystring: ExportQuery } }, async (request, reply) => {
    const q = request.query;
    const dateRange = q.date_range.includes(',') ? q.date_range.split(',', 2).map((s) => s.trim()) : q.date_range;
    return answer(request, reply, { siteId: q.site_id, dateRange, filters: parseFilters(q.filters) }, q.format, q.table);
  });
  app.post('/api/v2/export', { schema: { ...docs, body: ExportBody } }, async (request, reply) => {
    const b = request.body;
    return answer(request, reply, { siteId: b.site_id, dateRange: b.date_range, filters: b.filters ?? [] }, b.format, b.table);
  });
  return Promise.resolve();
};
