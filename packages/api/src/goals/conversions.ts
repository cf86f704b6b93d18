import type { Goal } from '@tokumei/config';
import type { StatsDb } from '../query-limits.js';
import { goalsCompletedSql } from './match.js';
import { EVENTS_IN_RANGE } from './window.js';

/** Metrics a goal row answers: converted visitors, completions, and the share of the set's visitors who converted. */
export const GOAL_METRICS = ['visitors', 'events', 'conversion_rate'] as const;
export type GoalMetric = (typeof GOAL_METRICS)[number];

export interface GoalRow {
  readonly goal: string;
  /** Visitors who completed the goal, summed over the cells (UTC day × salt domain) where they were at least k. */
  readonly visitors: number;
  readonly events: number;
  /** Visitors of the set in those same cells: the denominator of conversion_rate. */
  readonly total: number;
}

export interface ConversionsAnswer {
  readonly rows: readonly GoalRow[];
  /** Some goal's cell had 1 to k-1 converted visitors and was left out. */
  readonly folded: boolean;
}

/**
 * Conversions per goal, k-anonymous per cell as every breakdown is: a goal is counted in a (day, salt_domain) cell
 * only when at least k distinct visitors completed it there (visitor hashes of two cells never match, so this is
 * the only place k can be judged). conversion_rate's denominator is the set's visitors in the same cells, so the
 * rate of a goal withheld on some days is not diluted by them. Goals without a single such cell are not listed.
 *
 * `where` narrows the set (the v2 model's filters, as SQL over `events` columns); '1' is every row of the site.
 */
export function conversionsSql(goals: readonly Goal[], params: Record<string, unknown>, where = '1'): string {
  const completed = goalsCompletedSql(goals, params);
  return `
    SELECT goal, toUInt64(sumIf(visitors, named)) AS visitors, toUInt64(sumIf(events, named)) AS events,
           toUInt64(sumIf(total, named)) AS total, countIf(NOT named) AS withheld
    FROM (
      SELECT goal, day, salt_domain, visitors, events, total, visitors >= {k:UInt64} AS named
      FROM (
        SELECT goal, day, salt_domain, uniqExactIf(visitor, visitor != 0) AS visitors, count() AS events
        FROM (SELECT toDate(ts) AS day, salt_domain, visitor, ${completed} AS goals FROM events WHERE ${EVENTS_IN_RANGE} AND (${where}))
        ARRAY JOIN goals AS goal
        GROUP BY goal, day, salt_domain
        HAVING visitors > 0) AS g
      INNER JOIN (
        SELECT toDate(ts) AS day, salt_domain, uniqExactIf(visitor, visitor != 0) AS total
        FROM events WHERE ${EVENTS_IN_RANGE} AND (${where})
        GROUP BY day, salt_domain) AS t
      USING (day, salt_domain))
    GROUP BY goal`;
}

interface Raw { goal: string; visitors: string; events: string; total: string; withheld: string }

/** Runs conversionsSql for `goals` over [from, to) (ClickHouse DateTime text) with threshold k; rows by visitors, then goal order. */
export async function conversions(
  db: StatsDb, site: string, goals: readonly Goal[], window: { from: string; to: string }, k: number,
): Promise<ConversionsAnswer> {
  if (goals.length === 0) return { rows: [], folded: false };
  const params: Record<string, unknown> = { site, ...window, k };
  const raw = await db.rows<Raw>(conversionsSql(goals, params), params);
  const order = new Map(goals.map((g, i) => [g.name, i]));
  const rows = raw
    .map((r) => ({ goal: r.goal, visitors: Number(r.visitors), events: Number(r.events), total: Number(r.total) }))
    .filter((r) => r.visitors > 0)
    .sort((a, b) => b.visitors - a.visitors || (order.get(a.goal) ?? 0) - (order.get(b.goal) ?? 0));
  return { rows, folded: raw.some((r) => Number(r.withheld) > 0) };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Plausible's conversion_rate: a percentage with two decimals. */
export function goalMetric(m: GoalMetric, row: GoalRow): number {
  switch (m) {
    case 'visitors': return row.visitors;
    case 'events': return row.events;
    case 'conversion_rate': return row.total === 0 ? 0 : round2((row.visitors / row.total) * 100);
  }
}
