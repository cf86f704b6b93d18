/**
 * bench/query's filtered questions (issue 14): `POST /api/v2/query` as the API answers it (the events plan with
 * visit-pushdown.ts's filters moved into the join), against the same question's plan without them (`pushdown: false`,
 * the plan before), and the unfiltered page breakdown route as the rollups' reference, in the same run.
 * Targets (issue 16, where the filtered questions joined the endpoints' table): p95 < 100 ms and >= 20x faster than the
 * same question from `events` without the pushdown.
 */
import os from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import { limitedDb } from '@tokumei/api';
import { parseFilters } from '../../packages/api/src/query/filters.js';
import { eventsSql, type EventsQuery } from '../../packages/api/src/query/sql.js';

const TARGET_MS = 100;
const TARGET_RATIO = 20;

interface Question { readonly name: string; readonly metrics: string[]; readonly dimensions: string[]; readonly filters: unknown[] }

export const QUESTIONS: readonly Question[] = [
  { name: 'pages | visit:source', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'visit:source', ['ref1.example']]] },
  { name: 'pages | utm_campaign', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'visit:utm_campaign', ['campaign-7']]] },
  { name: 'pages | page contains', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['contains', 'event:page', ['/p/1']]] },
  { name: 'sources | read /p/3', metrics: ['visitors', 'pageviews'], dimensions: ['visit:source'], filters: [['is', 'event:page', ['/p/3']]] },
  { name: 'countries | device', metrics: ['visitors', 'pageviews'], dimensions: ['visit:country'], filters: [['is', 'visit:device', ['tablet']]] },
  { name: 'campaign visits', metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration'], dimensions: ['visit:utm_source'], filters: [['is', 'visit:utm_medium', ['email']]] },
  { name: 'country x device', metrics: ['visitors', 'pageviews'], dimensions: ['visit:country', 'visit:device'], filters: [] },
  { name: 'pages, unfiltered v2', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [] },
];

type Timer = (fn: () => Promise<unknown>) => Promise<{ p50: number; p95: number }>;
interface Inject { inject(o: { method: 'GET' | 'POST'; url: string; payload?: unknown }): Promise<{ statusCode: number; body: string; json<T>(): T }> }

export interface FilteredContext {
  readonly app: Inject;
  readonly client: ClickHouseClient;
  readonly site: string;
  /** First day and one past the last day, 'YYYY-MM-DD' and ClickHouse DateTime text. */
  readonly days: readonly [string, string];
  readonly params: { site: string; from: string; to: string; k: number };
  readonly routeUrl: string;
  readonly time: Timer;
  readonly limits: { requestMs: number; memoryBytes: number; resultRows: number };
  /** 1-based numbers of the questions to run (BENCH_QUESTIONS), all when undefined. */
  readonly only?: readonly number[];
}

const LIMIT = 10;

export async function runFiltered(ctx: FilteredContext): Promise<void> {
  const load = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');
  process.stdout.write(`\nfiltered questions, POST /api/v2/query over 30 days, p50/p95 in ms; load average before: ${load()}\n`);
  const route = await ctx.time(async () => {
    const r = await ctx.app.inject({ method: 'GET', url: ctx.routeUrl });
    if (r.statusCode !== 200) throw new Error(`${ctx.routeUrl}: ${r.statusCode} ${r.body}`);
  });
  process.stdout.write(`reference: GET page breakdown route (rollups) p50 ${route.p50.toFixed(1)} p95 ${route.p95.toFixed(1)}\n`);
  process.stdout.write(`${'question'.padEnd(24)} ${'source'.padEnd(8)} ${'v2 p50'.padStart(9)} ${'v2 p95'.padStart(9)} ${'nopush p50'.padStart(10)} ${'nopush p95'.padStart(10)} ${'nopush/v2'.padStart(9)} ${'v2/route'.padStart(9)}  < ${TARGET_MS} ms  >= ${TARGET_RATIO}x  load\n`);
  for (const [i, question] of QUESTIONS.entries()) {
    if (ctx.only !== undefined && !ctx.only.includes(i + 1)) continue;
    const body = { site_id: ctx.site, metrics: question.metrics, dimensions: question.dimensions, filters: question.filters, date_range: ctx.days, pagination: { limit: LIMIT } };
    let source = '';
    const v2 = await ctx.time(async () => {
      const r = await ctx.app.inject({ method: 'POST', url: '/api/v2/query', payload: body });
      if (r.statusCode !== 200) throw new Error(`${question.name}: ${r.statusCode} ${r.body}`);
      source = r.json<{ meta: { source?: string } }>().meta.source ?? '';
    });
    // The events plan with the fragments: the same parameters fromEvents gives it (whole days, k).
    const q = { metrics: question.metrics, dimensions: question.dimensions, filters: parseFilters(question.filters), orderBy: [], limit: LIMIT, offset: 0, goals: [] } as unknown as EventsQuery;
    const params: Record<string, unknown> = { ...ctx.params };
    // The plan without the pushdown (the route's plan before it), as the baseline of the same run.
    const sql = eventsSql({ ...q, pushdown: false }, params);
    // A limited db is one request's budget: a new one per run, as the route makes one per request.
    const plain = source === 'events' ? await ctx.time(() => limitedDb(ctx.client, ctx.limits).rows(sql, params)) : undefined;
    const ratio = plain === undefined ? '' : `${(plain.p95 / v2.p95).toFixed(1)}x`;
    const vsRoute = `${(v2.p95 / route.p95).toFixed(1)}x`;
    process.stdout.write(`${question.name.padEnd(24)} ${source.padEnd(8)} ${v2.p50.toFixed(1).padStart(9)} ${v2.p95.toFixed(1).padStart(9)} ${(plain?.p50.toFixed(1) ?? '-').padStart(10)} ${(plain?.p95.toFixed(1) ?? '-').padStart(10)} ${ratio.padStart(9)} ${vsRoute.padStart(9)}  ${(v2.p95 < TARGET_MS ? 'met' : 'MISSED').padEnd(8)} ${(plain === undefined ? '-' : plain.p95 / v2.p95 >= TARGET_RATIO ? 'met' : 'MISSED').padEnd(7)} ${os.loadavg()[0]?.toFixed(2)}\n`);
  }
  process.stdout.write(`load average after: ${load()}\n`);
}
